import FleetConfig
import FleetModel
/// A processing platform as a worker sees it: one adapter per platform kind (openEO, OGC API –
/// Processes, EOCanvas), all speaking the unified vocabulary of ``BackendStatus``.
///
/// Calls retry transient failures themselves (see ``RequestRetryPolicy``) and throw ``BackendError`` when they
/// give up. `submit` never creates a second job for one idempotency key by its own retries.
public protocol Backend: Sendable {
    /// The configured name (e.g. `cdse`).
    var name: String { get }

    /// Creates and starts a job; returns the platform's job id. The idempotency key goes into the
    /// job's title so that ``find(idempotencyKey:)`` can recognise it.
    func submit(_ job: BackendJob, idempotencyKey: String) async throws -> String

    /// The job's current status.
    func status(of jobID: String) async throws -> BackendJobStatus

    /// The result files of a finished job.
    func results(of jobID: String) async throws -> [BackendAsset]

    /// Asks the platform to stop (and, where that is how the API works, dismiss) the job.
    func cancel(_ jobID: String) async throws

    /// The id of a job carrying `idempotencyKey`, if the platform has one: what a redelivered submit
    /// checks before submitting again. Prefers a live or finished job over a failed one.
    func find(idempotencyKey: String) async throws -> String?

    /// ``find(idempotencyKey:)`` for many keys at once: the keys with a job, and its id. Where the
    /// lookup lists the account's jobs, one listing serves every key.
    func find(idempotencyKeys: Set<String>) async throws -> [String: String]

    /// The job's log entries; throws ``BackendError/unsupported(message:)`` where the platform has none.
    func logs(of jobID: String) async throws -> [BackendLogEntry]
}

extension Backend {
    /// One lookup per key, for platforms that look a key up directly.
    public func find(idempotencyKeys: Set<String>) async throws -> [String: String] {
        var found: [String: String] = [:]
        for key in idempotencyKeys.sorted() {
            if let id = try await find(idempotencyKey: key) { found[key] = id }
        }
        return found
    }
}
