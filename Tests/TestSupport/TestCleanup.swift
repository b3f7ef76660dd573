import Foundation
import Synchronization

/// Cleanup that a test starts in its `defer` (where it cannot await) and that the process waits
/// for before it exits.
///
/// A test process that exits while a detached cleanup is still connecting to PostgreSQL crashes
/// inside libpq, whose OpenSSL and Kerberos state the exit handlers are tearing down. The first
/// registration installs an exit handler — after libpq's, so it runs before them — that waits
/// for every pending cleanup.
public enum TestCleanup {
    private struct State {
        var pending = 0
        var handlerInstalled = false
    }

    private static let state = Mutex(State())
    private static let finished = NSCondition()

    /// Runs `work` in a task the process waits for at exit.
    public static func later(_ work: @escaping @Sendable () async -> Void) {
        let install = state.withLock { state -> Bool in
            state.pending += 1
            defer { state.handlerInstalled = true }
            return !state.handlerInstalled
        }
        if install { atexit { TestCleanup.waitForPending(timeout: 30) } }
        Task {
            await work()
            done()
        }
    }

    private static func done() {
        state.withLock { $0.pending -= 1 }
        finished.lock()
        finished.broadcast()
        finished.unlock()
    }

    static func waitForPending(timeout: TimeInterval) {
        let deadline = Date(timeIntervalSinceNow: timeout)
        finished.lock()
        defer { finished.unlock() }
        while state.withLock({ $0.pending }) > 0 {
            if !finished.wait(until: deadline) { return }
        }
    }
}
