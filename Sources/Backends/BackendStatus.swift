/// The one status vocabulary of every backend job, whatever the platform calls it.
///
/// The platform's own word is kept beside it in ``BackendJobStatus/rawStatus``.
public enum BackendStatus: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// Accepted by the platform, not yet running (openEO `created`/`queued`, OGC `accepted`).
    case submitted
    /// Processing.
    case running
    /// Done with results.
    case finished
    /// Ended in error.
    case failed
    /// Stopped on request (openEO `canceled`, OGC `dismissed`).
    case canceled

    /// Whether the job can no longer change.
    public var isFinal: Bool {
        switch self {
        case .finished, .failed, .canceled: true
        case .submitted, .running: false
        }
    }

    public var description: String { self.rawValue }
}
