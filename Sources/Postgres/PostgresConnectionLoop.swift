import DedicatedThread
import Foundation
import Timing
import Glibc
import Logging
import Synchronization

/// The dedicated thread of one connection: it owns the `PostgresSession`, runs submitted jobs in
/// order, and while idle watches the socket for notifications and lost connections. libpq's
/// blocking calls therefore never run on Swift's cooperative thread pool.
final class PostgresConnectionLoop: Sendable {
    typealias Job = @Sendable (PostgresSession) -> Void

    private struct State: ~Copyable {
        var jobs: [Job] = []
        var closing = false
    }

    private let state = Mutex(State())
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let finished = Mutex<[CheckedContinuation<Void, Never>]?>([])

    init(url: PostgresURL, logger: Logger, reconnectTimeout: Duration) throws(PostgresError) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            throw PostgresError(kind: .client, message: "cannot create wake-up pipe: errno \(errno)")
        }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        DedicatedThread.start(name: "tilefleet-postgres") { [self] in
            let session = PostgresSession(url: url, logger: logger, reconnectTimeout: reconnectTimeout)
            run(session)
        }
    }

    /// The pipe is closed only here, when nothing can write to it any more: closing it earlier
    /// would let a late wake-up write into whatever socket reuses the descriptor.
    deinit {
        Glibc.close(wakeRead)
        Glibc.close(wakeWrite)
    }

    /// Queues a job; returns false if the loop is closing.
    @discardableResult
    func submit(_ job: @escaping Job) -> Bool {
        let accepted = state.withLock { state in
            guard !state.closing else { return false }
            state.jobs.append(job)
            return true
        }
        if accepted { wake() }
        return accepted
    }

    /// Runs `body` on the connection thread and returns its result.
    func perform<T: Sendable>(_ body: @escaping @Sendable (PostgresSession) throws(PostgresError) -> T) async throws(PostgresError) -> T {
        let result: Result<T, PostgresError> = await withCheckedContinuation { continuation in
            let accepted = submit { session in
                do throws(PostgresError) {
                    continuation.resume(returning: .success(try body(session)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
            if !accepted {
                continuation.resume(returning: .failure(PostgresError(kind: .connectionClosed, message: "connection is closed")))
            }
        }
        return try result.get()
    }

    /// Stops the loop after the queued jobs and waits until the connection is closed.
    func close() async {
        state.withLock { $0.closing = true }
        wake()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let alreadyDone = finished.withLock { waiters -> Bool in
                guard waiters != nil else { return true }
                waiters!.append(continuation)
                return false
            }
            if alreadyDone { continuation.resume() }
        }
    }

    /// Asks the loop to stop without waiting (from `deinit`).
    func closeSoon() {
        state.withLock { $0.closing = true }
        wake()
    }

    private func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    private func run(_ session: PostgresSession) {
        while true {
            let (jobs, closing) = state.withLock { state -> ([Job], Bool) in
                defer { state.jobs.removeAll(keepingCapacity: true) }
                return (state.jobs, state.closing)
            }
            for job in jobs { job(session) }
            if !jobs.isEmpty { session.deliverNotifications() }
            if !jobs.isEmpty { continue }
            if closing { break }
            waitIdle(session)
        }
        // Closed before anyone waiting in `close()` resumes: a process that exits right after
        // `close()` must not tear down libpq's TLS state while this thread is still in PQfinish.
        session.close()
        let waiters = finished.withLock { waiters -> [CheckedContinuation<Void, Never>] in
            defer { waiters = nil }
            return waiters ?? []
        }
        for w in waiters { w.resume() }
    }

    private func waitIdle(_ session: PostgresSession) {
        var timeout: Int32 = -1
        if let retry = session.reconnectListenersIfNeeded() {
            timeout = Int32(max(1, retry.inSeconds * 1000))
        }
        var fds = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
        if let socket = session.socket {
            fds.append(pollfd(fd: socket, events: Int16(POLLIN), revents: 0))
        }
        let n = poll(&fds, nfds_t(fds.count), timeout)
        guard n > 0 else { return }
        if fds[0].revents != 0 {
            var drain = [UInt8](repeating: 0, count: 256)
            while read(wakeRead, &drain, drain.count) > 0 {}
        }
        if fds.count > 1, fds[1].revents != 0 {
            session.consumeIdleInput()
        }
    }
}
