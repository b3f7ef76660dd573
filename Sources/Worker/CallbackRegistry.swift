import FleetModel
import Foundation
import Messaging

/// The worker's side of OGC API – Processes callbacks: one unguessable token per submitted job
/// (its subscriber URL is `<base>/callbacks/<token>`), and for each token the job's poll item.
/// A callback to a known token wakes that job: a one-shot poll item (``WorkItem/wake``) goes out
/// at once, and the token is spent. Polling stays the truth: a callback only brings a poll
/// forward, and an unknown (forged, spent or lost) token changes nothing.
public final class CallbackRegistry: @unchecked Sendable {
    /// The base URL platforms call (`http://worker-3.example:9480`).
    public let baseURL: String
    /// Items to publish now: the polls callbacks asked for.
    public let wakes: AsyncStream<WorkItem>
    private let continuation: AsyncStream<WorkItem>.Continuation
    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    /// Tokens kept at most; the oldest go first (their jobs are then polled only).
    public let capacity: Int

    struct Entry {
        var item: WorkItem?
        var woken = false
        var created: Date
    }

    public init(baseURL: String, capacity: Int = 100_000) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.capacity = max(1, capacity)
        (wakes, continuation) = AsyncStream.makeStream(of: WorkItem.self)
    }

    /// A new token and the subscriber that names it. Only success wakes a job: a failure starts the
    /// next attempt, which only the poll chain may do.
    public func register(now: Date = Date()) -> (token: String, subscriber: BackendJob.Subscriber) {
        var random = SystemRandomNumberGenerator()
        let token = (0..<4).map { _ in String(format: "%08x", UInt32.random(in: .min ... .max, using: &random)) }.joined()
        lock.withLock {
            if entries.count >= capacity, let oldest = entries.min(by: { $0.value.created < $1.value.created })?.key {
                entries.removeValue(forKey: oldest)
            }
            entries[token] = Entry(created: now)
        }
        let url = "\(baseURL)/callbacks/\(token)"
        return (token, BackendJob.Subscriber(successUri: url))
    }

    /// The job's poll item, once its submit is confirmed; a callback that came first wakes it now.
    public func attach(_ token: String, poll: WorkItem) {
        let wakeNow: Bool = lock.withLock {
            guard entries[token] != nil else { return false }
            if entries[token]!.woken {
                entries.removeValue(forKey: token)
                return true
            }
            entries[token]!.item = poll
            return false
        }
        if wakeNow { continuation.yield(Self.wakeItem(poll)) }
    }

    /// Drops a token whose submit did not lead to a job here.
    public func forget(_ token: String) {
        _ = lock.withLock { entries.removeValue(forKey: token) }
    }

    /// A callback arrived for `token`: whether the token is known (then its job is polled now).
    @discardableResult
    public func wake(_ token: String) -> Bool {
        let item: WorkItem?? = lock.withLock {
            guard let entry = entries[token] else { return nil }
            guard let item = entry.item else {
                entries[token]!.woken = true
                return .some(nil)
            }
            entries.removeValue(forKey: token)
            return .some(item)
        }
        guard let known = item else { return false }
        if let poll = known { continuation.yield(Self.wakeItem(poll)) }
        return true
    }

    /// Tokens waiting for a callback.
    public var count: Int { lock.withLock { entries.count } }

    /// A one-shot copy of the job's poll item.
    static func wakeItem(_ poll: WorkItem) -> WorkItem {
        var item = poll
        item.wake = true
        item.notBefore = nil
        return item
    }
}
