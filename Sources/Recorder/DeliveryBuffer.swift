import Synchronization

/// Deliveries waiting to be written, handed out in batches: a full batch at once, a partial one
/// after the wait, nothing while idle.
final class DeliveryBuffer: Sendable {
    private struct State {
        var items: [ParsedDelivery] = []
        var finished = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    func append(_ delivery: ParsedDelivery) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.items.append(delivery)
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    func finish() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// The next batch, or nil once finished and drained.
    func nextBatch(max size: Int, maxWait: Duration) async -> [ParsedDelivery]? {
        while true {
            let ready = state.withLock { state -> Bool in state.finished || !state.items.isEmpty }
            if ready { break }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.finished || !state.items.isEmpty { return true }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
        let clock = ContinuousClock()
        let deadline = clock.now + maxWait
        while clock.now < deadline {
            let full = state.withLock { $0.items.count >= size || $0.finished }
            if full { break }
            try? await Task.sleep(for: .milliseconds(1))
        }
        return state.withLock { state -> [ParsedDelivery]? in
            if state.items.isEmpty { return nil }
            let count = min(size, state.items.count)
            let batch = Array(state.items.prefix(count))
            state.items.removeFirst(count)
            return batch
        }
    }
}
