import Foundation
import Synchronization

extension FailureLogThrottle {
    /// One throttle for all of a worker's concurrent handlers.
    public final class Shared: Sendable {
        private let throttle: Mutex<FailureLogThrottle>

        public init(_ throttle: FailureLogThrottle = FailureLogThrottle()) {
            self.throttle = Mutex(throttle)
        }

        /// ``FailureLogThrottle/failure(backend:now:)`` under the lock.
        public func failure(backend: String, now: Date) -> Int? {
            throttle.withLock { $0.failure(backend: backend, now: now) }
        }
    }
}
