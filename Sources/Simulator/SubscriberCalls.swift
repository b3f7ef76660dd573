import Foundation
import HTTP

/// OGC API – Processes callbacks (Part 1 `subscriber`): the simulator POSTs to a job's
/// `inProgressUri` when it starts running, its results document to `successUri` when it finishes
/// (as the standard's worked example) and its statusInfo to `failedUri` when it fails. Each call is
/// made once, at the moment the job's clock says so; what came of it is counted, for tests and
/// benchmarks.
public final class SubscriberCalls: @unchecked Sendable {
    /// A job's callback URIs.
    struct Subscriber: Sendable {
        var successUri: String?
        var inProgressUri: String?
        var failedUri: String?

        init?(_ object: Any?) {
            guard let members = object as? [String: Any] else { return nil }
            successUri = members["successUri"] as? String
            inProgressUri = members["inProgressUri"] as? String
            failedUri = members["failedUri"] as? String
            if successUri == nil && inProgressUri == nil && failedUri == nil { return nil }
        }
    }

    private let lock = NSLock()
    private var sentCount = 0
    private var failedCount = 0

    /// Callbacks delivered (any HTTP answer below 300).
    public var sent: Int { lock.withLock { sentCount } }
    /// Callbacks that could not be delivered (no answer, or an answer of 300 or more).
    public var failed: Int { lock.withLock { failedCount } }

    /// Calls `subscriber` as `job` progresses: `document(phase)` makes the body when the time comes.
    func schedule(_ subscriber: Subscriber, runningAt: Date, endsAt: Date, phase: @escaping @Sendable (Date) -> SimulatedJob.Phase?,
                  document: @escaping @Sendable (SimulatedJob.Phase) -> [String: Any]) {
        Task {
            if let uri = subscriber.inProgressUri {
                try? await Task.sleep(for: .milliseconds(max(0, Int(runningAt.timeIntervalSinceNow * 1000))))
                if phase(Date()) == .running { await self.post(document(.running), to: uri) }
            }
            try? await Task.sleep(for: .milliseconds(max(0, Int(endsAt.timeIntervalSinceNow * 1000)) + 1))
            switch phase(Date()) {
            case .finished?: if let uri = subscriber.successUri { await self.post(document(.finished), to: uri) }
            case .failed?: if let uri = subscriber.failedUri { await self.post(document(.failed), to: uri) }
            default: break
            }
        }
    }

    private func post(_ object: [String: Any], to uri: String) async {
        let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        let client = HTTPClient(configuration: .init(timeout: .seconds(10)))
        let answer = try? await client.execute(HTTPClient.Request(uri, method: .post, headers: ["Content-Type": "application/json"], body: body))
        await client.shutdown()
        lock.withLock {
            if let answer, answer.status < 300 { sentCount += 1 } else { failedCount += 1 }
        }
    }
}
