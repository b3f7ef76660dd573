import Backends
import FleetModel

/// One call a ``WorkItemHandler`` asks the service to make on the backend.
public enum BackendCall: Sendable, Equatable {
    /// ``Backend/find(idempotencyKey:)``: is there already a job for this attempt?
    case find(idempotencyKey: String)
    /// ``JobResuming/resume(jobID:idempotencyKey:)`` where the platform can take a job up by its id,
    /// else ``find(idempotencyKey:)``: a submit whose attempt already has a job (a parked tile's).
    case resume(jobID: String, idempotencyKey: String)
    /// ``Backend/submit(_:idempotencyKey:)``.
    case submit(BackendJob, idempotencyKey: String)
    /// ``Backend/status(of:)``.
    case status(jobID: String)
    /// ``Backend/results(of:)``.
    case results(jobID: String)
    /// ``Backend/logs(of:)``.
    case logs(jobID: String)
    /// ``Backend/cancel(_:)``.
    case cancel(jobID: String)
    /// No call: wait this long, holding the item (a submit another worker may still have had in
    /// flight lands meanwhile); answered with ``BackendAnswer/paused``.
    case pause(Duration)

    /// A short name for metrics and logs.
    public var name: String {
        switch self {
        case .find: "find"
        case .resume: "resume"
        case .submit: "submit"
        case .status: "status"
        case .results: "results"
        case .logs: "logs"
        case .cancel: "cancel"
        case .pause: "pause"
        }
    }
}
