import Foundation
import Messaging

/// Cancels a task or some of its tiles: pending tiles become `canceled` in PostgreSQL at once;
/// tiles with a live backend job get `cancel` items, which workers turn into the backend's cancel.
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
        /// Cancel items published for live backend jobs.
        public var cancelItems: Int
        /// Queued tiles whose job is not known yet: their workers stop them when the canceled task is seen, or cancel them on the next `cancel`.
        public var notYetSubmitted: Int
    }

    public func cancel(task: String, tiles: [String]? = nil) async throws -> Outcome {
        let spec = try await store.spec(of: task)
        let (canceled, live) = try await store.cancel(task: task, tiles: tiles)
        let items = live.compactMap { tile -> WorkItem? in
            guard let jobID = tile.backendJobID else { return nil }
            return WorkItem(kind: .cancel, task: task, tile: tile.tile, attempt: tile.attempt, maxAttempts: spec.maxAttempts,
                            backend: spec.backend, job: spec.backendJob(tileID: tile.tile, tileParameters: tile.parameters),
                            backendJobID: jobID)
        }
        try await publisher.publish(items)
        return Outcome(canceled: canceled, cancelItems: items.count, notYetSubmitted: live.count - items.count)
    }
}
