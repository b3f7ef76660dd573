import Foundation
import Messaging
import Storage

/// Cancels a task or some of its tiles: pending tiles become `canceled` in PostgreSQL at once;
/// dispatched tiles get `cancel` items, which workers turn into the backend's cancel. A tile whose
/// job is not known yet (its submit is still queued) gets a cancel item without a job id: the
/// worker looks the job up by idempotency key until the submit has landed.
public struct Canceller: Sendable {
    public let store: TaskStore
    public let publisher: WorkPublisher

    public init(store: TaskStore, publisher: WorkPublisher) {
        self.store = store
        self.publisher = publisher
    }

    public struct Outcome: Sendable, Hashable {
        /// Pending tiles canceled at once.
        public var canceled: Int
        /// Cancel items published, one per dispatched tile.
        public var cancelItems: Int
        /// Of those, tiles whose backend job is not known yet: their cancel finds the job by its
        /// idempotency key once the submit has landed.
        public var notYetSubmitted: Int
    }

    public func cancel(task: String, tiles: [String]? = nil) async throws -> Outcome {
        let spec = try await store.spec(of: task)
        let (canceled, live) = try await store.cancel(task: task, tiles: tiles)
        let items = live.map { tile in
            spec.cancelItem(task: task, tile: tile.tile, attempt: tile.attempt, backend: tile.backend.isEmpty ? spec.backend : tile.backend,
                            tileParameters: tile.parameters, backendJobID: tile.backendJobID)
        }
        try await publisher.publish(items)
        try await store.markCancelSent(task: task, jobs: live.filter { $0.backendJobID != nil }.map { ($0.tile, $0.attempt) })
        return Outcome(canceled: canceled, cancelItems: items.count, notYetSubmitted: live.filter { $0.backendJobID == nil }.count)
    }
}
