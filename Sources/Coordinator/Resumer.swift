import Foundation
import Messaging
import Storage

/// Rebuilds the work queues from PostgreSQL after a broker loss: every tile dispatched and not yet
/// terminal gets one item — `poll` when its backend job id is known, `submit` otherwise, marked
/// `may_exist` so that the worker looks the attempt's job up by idempotency key before it submits
/// (its first submit may have reached the platform before the broker lost the `submitted` event),
/// and `cancel` when the tile was canceled and its job not stopped yet.
public struct Resumer: Sendable {
    public let store: TaskStore
    public let publisher: WorkPublisher

    public init(store: TaskStore, publisher: WorkPublisher) {
        self.store = store
        self.publisher = publisher
    }

    /// What was republished.
    public struct Outcome: Sendable, Hashable {
        public var polls: Int
        public var submits: Int
        public var cancels: Int

        public init(polls: Int, submits: Int, cancels: Int = 0) {
            self.polls = polls
            self.submits = submits
            self.cancels = cancels
        }
    }

    public func resume(task: String? = nil) async throws -> Outcome {
        try await publisher.topology.declare(on: publisher.channel)
        var specs: [String: TaskSpec] = [:]
        var items: [WorkItem] = []
        var seen: Set<String> = []
        var outcome = Outcome(polls: 0, submits: 0)
        for (taskID, backend, tile) in try await store.liveTiles(task: task) {
            let key = WorkItem.idempotencyKey(task: taskID, tile: tile.tile, attempt: tile.attempt)
            guard seen.insert(key).inserted else { continue }
            if specs[taskID] == nil { specs[taskID] = try await store.spec(of: taskID) }
            let spec = specs[taskID]!
            let job = spec.backendJob(tileID: tile.tile, tileParameters: tile.parameters)
            if tile.canceled {
                items.append(spec.cancelItem(task: taskID, tile: tile.tile, attempt: tile.attempt, backend: backend,
                                             tileParameters: tile.parameters, backendJobID: tile.backendJobID))
                outcome.cancels += 1
            } else if let jobID = tile.backendJobID {
                items.append(WorkItem(kind: .poll, task: taskID, tile: tile.tile, attempt: tile.attempt, maxAttempts: spec.maxAttempts,
                                      backend: backend, job: job, backendJobID: jobID, maxRuntimeSeconds: spec.maxRuntimeSeconds))
                outcome.polls += 1
            } else {
                items.append(WorkItem(kind: .submit, task: taskID, tile: tile.tile, attempt: tile.attempt, maxAttempts: spec.maxAttempts,
                                      backend: backend, job: job, maxRuntimeSeconds: spec.maxRuntimeSeconds, mayExist: true))
                outcome.submits += 1
            }
        }
        try await publisher.publish(items)
        return outcome
    }
}
