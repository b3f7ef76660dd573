/// A platform that can take up a job by its id: what a parked tile's next submit uses (its job was
/// created but the platform refused to start it), instead of looking the attempt up by key, which
/// on openEO lists every job of the account and shares one listing, and one refusal, with every
/// lookup waiting at the same time.
public protocol JobResuming: Backend {
    /// Starts the job `jobID` if the platform still holds it unstarted and returns its id; when the
    /// platform no longer knows the id, the job of `idempotencyKey` (``Backend/find(idempotencyKey:)``),
    /// nil if there is none. A start refused for the platform's concurrency limit throws
    /// ``BackendError/tryLater(retryAfter:message:jobID:)`` for this job alone.
    func resume(jobID: String, idempotencyKey: String) async throws -> String?
}
