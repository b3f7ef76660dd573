import Storage
import Synchronization

/// The recorder's idle event stores, one per database connection: a batch waits for a free one.
final class WriterPool: Sendable {
    private struct State {
        var idle: [EventStore]
        var waiters: [CheckedContinuation<EventStore, Never>] = []
    }

    private let state: Mutex<State>

    init(_ stores: [EventStore]) {
        state = Mutex(State(idle: stores))
    }

    /// An idle store, waiting for one to be given back if all are busy.
    func take() async -> EventStore {
        await withCheckedContinuation { continuation in
            let store = state.withLock { state -> EventStore? in
                if let store = state.idle.popLast() { return store }
                state.waiters.append(continuation)
                return nil
            }
            if let store { continuation.resume(returning: store) }
        }
    }

    /// Returns `store` to the pool, or hands it straight to the oldest waiter.
    func give(_ store: EventStore) {
        let waiter = state.withLock { state -> CheckedContinuation<EventStore, Never>? in
            if state.waiters.isEmpty {
                state.idle.append(store)
                return nil
            }
            return state.waiters.removeFirst()
        }
        waiter?.resume(returning: store)
    }
}
