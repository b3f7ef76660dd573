import Synchronization

/// Deliveries waiting to be written, handed out in batches: a full batch at once, a partial one
/// after the wait, nothing while idle.
///
/// The one reader waits on a continuation that `append` resumes once enough deliveries are in
/// (or `finish` is called); a partial batch's deadline cancels that wait. Nothing polls.
final class DeliveryBuffer<Element: Sendable>: Sendable {
    private struct Waiter {
        var continuation: CheckedContinuation<Void, Never>
        /// Deliveries that make the wait end.
        var count: Int
    }

    private struct State {
        var items: [Element] = []
        var finished = false
        var waiter: Waiter?

        func satisfies(_ count: Int) -> Bool { finished || items.count >= count }

        /// The waiter to resume now that the state changed, removed from the state.
        mutating func takeSatisfiedWaiter() -> CheckedContinuation<Void, Never>? {
            guard let waiter, satisfies(waiter.count) else { return nil }
            self.waiter = nil
            return waiter.continuation
        }
    }

    private let state = Mutex(State())

    func append(_ delivery: Element) {
        let ready = state.withLock { state in
            state.items.append(delivery)
            return state.takeSatisfiedWaiter()
        }
        ready?.resume()
    }

    func finish() {
        let ready = state.withLock { state in
            state.finished = true
            return state.takeSatisfiedWaiter()
        }
        ready?.resume()
    }

    /// The next batch, or nil once finished and drained: waits for a first delivery as long as it
    /// takes, then up to `maxWait` for the batch to fill.
    func nextBatch(max size: Int, maxWait: Duration) async -> [Element]? {
        await waitFor(count: 1)
        if !state.withLock({ $0.satisfies(size) }) {
            let deadline = ContinuousClock.now + maxWait
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.waitFor(count: size) }
                group.addTask { try? await Task.sleep(until: deadline, clock: .continuous) }
                await group.next()
                group.cancelAll()
            }
        }
        return state.withLock { state -> [Element]? in
            if state.items.isEmpty { return nil }
            let count = min(size, state.items.count)
            let batch = Array(state.items.prefix(count))
            state.items.removeFirst(count)
            return batch
        }
    }

    /// Returns once `count` deliveries are buffered, the buffer is finished, or the task is cancelled.
    private func waitFor(count: Int) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.satisfies(count) || Task.isCancelled { return true }
                    state.waiter = Waiter(continuation: continuation, count: count)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiting = state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.waiter = nil }
                return state.waiter?.continuation
            }
            waiting?.resume()
        }
    }
}
