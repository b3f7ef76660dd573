import Backends

/// What a ``BackendCall`` returned, fed back into the ``WorkItemHandler``.
public enum BackendAnswer: Sendable, Equatable {
    /// The job found by idempotency key, if any.
    case found(jobID: String?)
    /// The id of the job just submitted.
    case submitted(jobID: String)
    case status(BackendJobStatus)
    case results([BackendAsset])
    case logs([BackendLogEntry])
    case canceled
    /// The pause asked for is over.
    case paused
    /// The call failed; any error that is not a ``BackendError`` arrives as `.transport`.
    case failed(BackendError)
}
