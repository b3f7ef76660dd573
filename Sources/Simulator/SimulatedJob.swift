import Foundation

/// One job in the simulator's memory. Its status is a function of the clock (created → queued →
/// running → finished/error), so reading it costs no bookkeeping.
struct SimulatedJob: Sendable {
    enum API: String, Sendable { case openEO = "openeo", ogc, eocanvas }

    enum Phase: Sendable, Equatable {
        case created, queued, running, finished, failed, canceled
    }

    let id: String
    let api: API
    let user: String
    let title: String?
    let idempotencyKey: String?
    let processID: String
    let created: Date
    /// Drawn at creation.
    let runSeconds: Double
    let queueSeconds: Double
    let fails: Bool
    var started: Date?
    var canceled: Date?

    /// When the job stops counting against its user's concurrency limit.
    var end: Date? {
        guard let started else { return nil }
        let natural = started.addingTimeInterval(self.queueSeconds + self.runSeconds)
        if let canceled { return min(canceled, natural) }
        return natural
    }

    func phase(at now: Date) -> Phase {
        guard let started else { return self.canceled == nil ? .created : .canceled }
        let runningFrom = started.addingTimeInterval(self.queueSeconds)
        let ends = runningFrom.addingTimeInterval(self.runSeconds)
        if now >= ends {
            if let canceled, canceled < ends { return .canceled }
            return self.fails ? .failed : .finished
        }
        if self.canceled != nil { return .canceled }
        return now >= runningFrom ? .running : .queued
    }

    /// Progress in percent while running.
    func progress(at now: Date) -> Double? {
        guard let started else { return 0 }
        switch self.phase(at: now) {
        case .finished: return 100
        case .running:
            let elapsed = now.timeIntervalSince(started) - self.queueSeconds
            return (min(1, max(0, elapsed / max(self.runSeconds, 0.001))) * 100).rounded()
        default: return 0
        }
    }

    var failureMessage: String {
        "Simulated failure of job \(self.id): the process \(self.processID) raised an exception."
    }

    /// The key in a `[tilefleet:<key>]` marker of `title`.
    static func idempotencyKey(in title: String?) -> String? {
        guard let title, let start = title.range(of: "[tilefleet:"), let end = title[start.upperBound...].firstIndex(of: "]") else {
            return nil
        }
        return String(title[start.upperBound..<end])
    }
}
