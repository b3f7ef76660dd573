import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The threads that own a C library's connection or event loop (librabbitmq, libpq, curl): one per
/// connection or loop, so blocking C calls never run on Swift's cooperative pool.
///
/// Every such thread blocks all signals before it runs: process signals are not its business.
/// Left unblocked, a SIGCHLD meant for libdispatch's signalfd (Foundation's `Process`) or a
/// SIGTERM meant for the service lifecycle could be delivered to it and lost.
public enum DedicatedThread {
    /// Starts a thread named `name` that runs `body` with every signal blocked.
    public static func start(name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread {
            var signals = sigset_t()
            sigfillset(&signals)
            pthread_sigmask(SIG_BLOCK, &signals, nil)
            body()
        }
        thread.name = name
        thread.start()
    }
}
