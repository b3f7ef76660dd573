/// The caller-side limit on unconfirmed publishes for one channel: a publisher gets a slot at once
/// while fewer than `limit` are in flight, otherwise it waits in FIFO order until confirms free slots.
/// Value type; the owner provides the locking.
struct PublishWindow<Waiter> {
    let limit: Int
    /// Slots held: publishes queued, sent and not yet settled.
    private(set) var inFlight = 0
    private var waiters: [Waiter] = []
    private var head = 0

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    var waiting: Int { waiters.count - head }

    /// Takes a slot if one is free and nobody is queued ahead.
    mutating func tryAcquire() -> Bool {
        guard inFlight < limit, waiting == 0 else { return false }
        inFlight += 1
        return true
    }

    mutating func enqueue(_ waiter: Waiter) {
        waiters.append(waiter)
    }

    /// Returns `count` slots and hands free slots to queued waiters, which now hold them.
    mutating func release(_ count: Int) -> [Waiter] {
        inFlight = max(0, inFlight - count)
        var granted: [Waiter] = []
        while inFlight < limit, head < waiters.count {
            granted.append(waiters[head])
            head += 1
            inFlight += 1
        }
        if head > 64 && head * 2 > waiters.count {
            waiters.removeFirst(head)
            head = 0
        }
        return granted
    }

    /// Removes every queued waiter (the channel or connection is going away).
    mutating func removeAllWaiters() -> [Waiter] {
        let all = Array(waiters[head...])
        waiters.removeAll()
        head = 0
        return all
    }
}
