/// Why a backend call did not succeed. Every case carries the platform's own message where there was
/// one; none carries a secret.
public enum BackendError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The platform asks to come back later: a concurrency or quota limit (429, openEO
    /// `ConcurrentJobLimit`) or a throttled answer. Not a failure of the job. `jobID` is set when the
    /// job was created but could not be started yet.
    case tryLater(retryAfter: Duration?, message: String, jobID: String?)
    /// The job (or the resource) does not exist on the platform.
    case notFound(message: String)
    /// The platform refused the request (4xx): bad process, bad arguments, forbidden, …
    case rejected(status: Int, message: String)
    /// Credentials are missing, wrong or expired and could not be refreshed.
    case authentication(message: String)
    /// The server answered 5xx (after retries).
    case server(status: Int, message: String)
    /// The network failed (connect errors, timeouts, resets) after retries.
    case transport(message: String)
    /// The platform answered something that is not what its API defines.
    case invalidResponse(message: String)
    /// A submit's outcome is unknown: it may have created a job that cannot be looked up.
    case ambiguousSubmit(message: String)
    /// The platform kind does not support the call (e.g. logs on OGC API – Processes).
    case unsupported(message: String)
    /// The backend configuration is unusable (missing secret, bad URL).
    case configuration(message: String)

    /// Whether trying again later may succeed (the worker re-queues instead of failing the tile).
    public var isTransient: Bool {
        switch self {
        case .tryLater, .server, .transport, .ambiguousSubmit: true
        case .notFound, .rejected, .authentication, .invalidResponse, .unsupported, .configuration: false
        }
    }

    /// A "try later" saying the platform already runs as many of the account's jobs as it allows
    /// (openEO `ConcurrentJobLimit`, `TooManyJobs`): a limit on concurrent jobs, which waiting for
    /// one of them to end lifts — unlike a throttled request rate or a quota.
    public var isConcurrencyLimit: Bool {
        if case .tryLater(_, let message, _) = self { return PlatformMessage.isConcurrencyLimit(message) }
        return false
    }

    /// The platform's (or transport's) text.
    public var message: String {
        switch self {
        case .tryLater(_, let message, _), .notFound(let message), .rejected(_, let message),
            .authentication(let message), .server(_, let message), .transport(let message),
            .invalidResponse(let message), .ambiguousSubmit(let message), .unsupported(let message),
            .configuration(let message):
            message
        }
    }

    public var description: String {
        switch self {
        case .tryLater(let retryAfter, let message, let jobID):
            var text = "try later"
            if let retryAfter { text += " (after \(retryAfter))" }
            if let jobID { text += " [job \(jobID) created]" }
            return text + ": \(message)"
        case .notFound(let message): return "not found: \(message)"
        case .rejected(let status, let message): return "rejected (\(status)): \(message)"
        case .authentication(let message): return "authentication failed: \(message)"
        case .server(let status, let message): return "server error (\(status)): \(message)"
        case .transport(let message): return "transport error: \(message)"
        case .invalidResponse(let message): return "invalid response: \(message)"
        case .ambiguousSubmit(let message): return "submit outcome unknown: \(message)"
        case .unsupported(let message): return "unsupported: \(message)"
        case .configuration(let message): return "configuration error: \(message)"
        }
    }
}
