import Synchronization

/// Whether something changed since it was last taken: raised by the notification reader, taken
/// by the sender.
final class ChangeFlag: Sendable {
    private let value = Mutex(false)

    func raise() { value.withLock { $0 = true } }

    /// Whether it was raised; lowers it.
    func take() -> Bool { value.withLock { raised in defer { raised = false }; return raised } }
}
