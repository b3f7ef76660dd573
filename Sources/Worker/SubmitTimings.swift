import Synchronization

/// How long the platform takes to answer a submit, per backend, from the last submits this worker
/// timed: it sets the pause before a redelivered submit looks its job up. A worker killed after
/// sending a submit sends nothing more, so the platform creates that job within about the time it
/// takes to answer one; twice the slowest recent answer covers it, where the request timeout
/// (the fallback, and the ceiling) would hold the item and its slot for a minute.
public final class SubmitTimings: Sendable {
    private let recent: Mutex<[String: [Duration]]> = Mutex([:])
    /// Submits remembered per backend.
    public let window: Int
    /// The shortest pause.
    public let floor: Duration

    public init(window: Int = 32, floor: Duration = .milliseconds(500)) {
        self.window = max(1, window)
        self.floor = floor
    }

    /// Records one submit's duration.
    public func record(_ duration: Duration, backend: String) {
        recent.withLock { recent in
            var list = recent[backend, default: []]
            list.append(duration)
            if list.count > window { list.removeFirst(list.count - window) }
            recent[backend] = list
        }
    }

    /// The pause before a redelivered submit on `backend` looks up its job: twice the slowest
    /// recent submit, at least ``floor``, at most `ceiling`; `ceiling` before any submit was timed.
    public func grace(backend: String, ceiling: Duration) -> Duration {
        guard let slowest = recent.withLock({ $0[backend]?.max() }) else { return ceiling }
        return min(ceiling, max(floor, slowest * 2))
    }
}
