import Foundation

/// A flag set once by the shutdown handler and read by the consumers (lock-protected).
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false

    var isSet: Bool { lock.withLock { stopped } }

    func set() { lock.withLock { stopped = true } }
}
