import Synchronization

extension JobDurations {
    /// One worker's ``JobDurations`` per task and backend, shared by its concurrent handlers.
    ///
    /// A cache, not state the fleet relies on: a worker that restarts, or gets a task's items
    /// for the first time, polls on the doubling schedule until it has seen a few of the task's
    /// jobs end. It holds at most ``capacity`` task–backend pairs, dropping the least recently
    /// recorded one beyond that.
    public final class Shared: Sendable {
        private struct Entry {
            var durations: JobDurations
            var touched: UInt64
        }

        private struct State {
            var entries: [String: Entry] = [:]
            var clock: UInt64 = 0
        }

        private let state = Mutex(State())
        public let capacity: Int
        private let make: @Sendable () -> JobDurations

        public init(capacity: Int = 1024, make: @escaping @Sendable () -> JobDurations = { JobDurations() }) {
            self.capacity = max(1, capacity)
            self.make = make
        }

        private static func key(task: String, backend: String) -> String { "\(backend)\u{0}\(task)" }

        /// Records that a job of `task` on `backend` was found ended `ended` seconds after its
        /// submit, last seen running `running` seconds after it.
        public func record(ended: Double, running: Double?, task: String, backend: String) {
            let key = Self.key(task: task, backend: backend)
            state.withLock { state in
                state.clock += 1
                var entry = state.entries[key] ?? Entry(durations: make(), touched: 0)
                entry.durations.record(ended: ended, running: running)
                entry.touched = state.clock
                state.entries[key] = entry
                if state.entries.count > capacity, let oldest = state.entries.min(by: { $0.value.touched < $1.value.touched })?.key {
                    state.entries[oldest] = nil
                }
            }
        }

        /// What is known of `task`'s jobs on `backend`, nil when none finished yet.
        public func durations(task: String, backend: String) -> JobDurations? {
            state.withLock { $0.entries[Self.key(task: task, backend: backend)]?.durations }
        }
    }
}
