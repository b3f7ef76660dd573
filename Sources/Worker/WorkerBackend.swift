import Backends

/// A backend this worker serves, with its delays.
public struct WorkerBackend: Sendable {
    public var backend: any Backend
    public var policy: WorkerPolicy
    /// Lookups by idempotency key, one listing shared by all that wait at once.
    let lookups: LookupBatcher

    /// A command backend's host becomes the policy's ``WorkerPolicy/host``.
    public init(backend: any Backend, policy: WorkerPolicy) {
        self.backend = backend
        var policy = policy
        if let command = backend as? CommandBackend { policy.host = command.host }
        self.policy = policy
        self.lookups = LookupBatcher(backend: backend)
    }

    /// Makes the call a handler asked for and turns its outcome into an answer; never throws.
    /// Errors that are not a ``BackendError`` (cancellation aside) count as transport failures.
    func perform(_ call: BackendCall) async -> BackendAnswer {
        do {
            switch call {
            case .find(let key): return .found(jobID: try await lookups.find(idempotencyKey: key))
            case .resume(let id, let key):
                if let resuming = backend as? any JobResuming {
                    return .found(jobID: try await resuming.resume(jobID: id, idempotencyKey: key))
                }
                return .found(jobID: try await lookups.find(idempotencyKey: key))
            case .submit(let job, let key): return .submitted(jobID: try await backend.submit(job, idempotencyKey: key))
            case .status(let id): return .status(try await backend.status(of: id))
            case .results(let id): return .results(try await backend.results(of: id))
            case .logs(let id): return .logs(try await backend.logs(of: id))
            case .cancel(let id):
                try await backend.cancel(id)
                return .canceled
            case .pause(let duration):
                try await Task.sleep(for: duration)
                return .paused
            }
        } catch let error as BackendError {
            return .failed(error)
        } catch {
            return .failed(.transport(message: "\(error)"))
        }
    }
}
