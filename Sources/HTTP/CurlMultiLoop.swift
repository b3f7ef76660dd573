@preconcurrency import CCurl
import DedicatedThread
import Foundation
import Logging

/// The event loop: one dedicated thread driving every transfer through one curl multi handle.
///
/// `curl_multi_poll` blocks, so it must never run on Swift's cooperative pool. Any task submits work
/// through a lock-protected queue and wakes the loop with `curl_multi_wakeup` (the one multi call that is
/// safe from other threads). Easy handles and transfers are touched only on the loop thread. The multi
/// handle keeps the connection cache, so connections are reused across requests (keep-alive).
final class CurlMultiLoop: @unchecked Sendable {
    private let lock = NSLock()
    private let multi: UnsafeMutableRawPointer
    private let logger: Logger

    // Guarded by `lock`.
    private var submissions: [TransferSubmission] = []
    private var cancellations: [UInt64] = []
    private var shuttingDown = false
    private var exited = false
    private var shutdownWaiters: [CheckedContinuation<Void, Never>] = []
    private var lastID: UInt64 = 0

    // Loop thread only.
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    private var activeByID: [UInt64: UnsafeMutableRawPointer] = [:]
    private var idleHandles: [CurlEasyHandle] = []
    private let maxIdleHandles = 256

    init(configuration: HTTPClient.Configuration, logger: Logger) {
        CurlGlobal.initialize()
        guard let multi = curl_multi_init() else {
            fatalError("curl_multi_init failed: out of memory")
        }
        self.multi = multi
        self.logger = logger
        _ = tf_curl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, configuration.maxConnectionsPerHost)
        _ = tf_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, configuration.connectionCacheSize)
        DedicatedThread.start(name: "tilefleet.http") { [self] in self.run() }
    }

    /// A fresh identifier for a submission (used to cancel it).
    func makeID() -> UInt64 {
        self.lock.withLock {
            self.lastID += 1
            return self.lastID
        }
    }

    /// Queues a transfer; called from the submitting task, inside its continuation.
    func submit(_ submission: TransferSubmission) {
        let rejection: (any Error)? = self.lock.withLock {
            if self.shuttingDown {
                return HTTPClientError(code: .shutdown, message: "the HTTP client is shut down", requestWasNotSent: true)
            }
            if Task.isCancelled {
                return CancellationError()
            }
            self.submissions.append(submission)
            curl_multi_wakeup(self.multi)
            return nil
        }
        if let rejection {
            submission.continuation.resume(throwing: rejection)
        }
    }

    /// Cancels a queued or running transfer; a finished or unknown one is left alone.
    func cancel(id: UInt64) {
        let queued: TransferSubmission? = self.lock.withLock {
            if let index = self.submissions.firstIndex(where: { $0.id == id }) {
                return self.submissions.remove(at: index)
            }
            if !self.exited {
                self.cancellations.append(id)
                curl_multi_wakeup(self.multi)
            }
            return nil
        }
        queued?.continuation.resume(throwing: CancellationError())
    }

    /// Stops the loop: queued and running transfers fail with ``HTTPClientError/Code/shutdown``.
    func shutdown() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done: Bool = self.lock.withLock {
                if self.exited { return true }
                self.shutdownWaiters.append(continuation)
                self.beginShutdownLocked()
                return false
            }
            if done {
                continuation.resume()
            }
        }
    }

    /// Starts stopping the loop without waiting (for `deinit`).
    func requestShutdown() {
        self.lock.withLock { self.beginShutdownLocked() }
    }

    private func beginShutdownLocked() {
        guard !self.shuttingDown else { return }
        self.shuttingDown = true
        curl_multi_wakeup(self.multi)
    }

    // MARK: Loop thread

    private func run() {
        var running: Int32 = 0
        while true {
            let (newSubmissions, cancelled, stopping) = self.lock.withLock {
                defer {
                    self.submissions.removeAll(keepingCapacity: true)
                    self.cancellations.removeAll(keepingCapacity: true)
                }
                return (self.submissions, self.cancellations, self.shuttingDown)
            }
            for submission in newSubmissions {
                self.start(submission)
            }
            for id in cancelled {
                if let easy = self.activeByID[id] {
                    self.finish(easy, with: .failure(CancellationError()))
                }
            }
            if stopping {
                break
            }
            curl_multi_perform(self.multi, &running)
            self.collectFinishedTransfers()
            let code = curl_multi_poll(self.multi, nil, 0, 1000, nil)
            if code != CURLM_OK {
                self.logger.error("curl_multi_poll failed", metadata: ["error": "\(String(cString: curl_multi_strerror(code)))"])
                Thread.sleep(forTimeInterval: 0.01)
            }
        }
        self.stop()
    }

    private func start(_ submission: TransferSubmission) {
        guard let easy = self.idleHandles.popLast() ?? CurlEasyHandle() else {
            submission.continuation.resume(
                throwing: HTTPClientError(code: .other, message: "curl_easy_init failed", requestWasNotSent: true, url: submission.request.url)
            )
            return
        }
        let transfer = CurlTransfer(submission: submission, easy: easy)
        do {
            try transfer.configure(submission.request, options: submission.options)
        } catch {
            self.recycle(easy)
            submission.continuation.resume(throwing: error)
            return
        }
        let code = curl_multi_add_handle(self.multi, easy.pointer)
        guard code == CURLM_OK else {
            self.recycle(easy)
            submission.continuation.resume(
                throwing: HTTPClientError(
                    code: .other,
                    message: "curl_multi_add_handle: \(String(cString: curl_multi_strerror(code)))",
                    requestWasNotSent: true,
                    url: submission.request.url
                )
            )
            return
        }
        self.active[easy.pointer] = transfer
        self.activeByID[submission.id] = easy.pointer
        self.logger.trace("HTTP request started", metadata: ["request": "\(submission.request)"])
    }

    private func collectFinishedTransfers() {
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(self.multi, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle,
                let transfer = self.active[easy]
            else { continue }
            let outcome = transfer.outcome(tf_curl_msg_result(message))
            self.finish(easy, with: outcome.mapError { $0 as any Error })
        }
    }

    private func finish(_ easy: UnsafeMutableRawPointer, with outcome: Result<TransferResult, any Error>) {
        guard let transfer = self.active.removeValue(forKey: easy) else { return }
        self.activeByID[transfer.id] = nil
        curl_multi_remove_handle(self.multi, easy)
        self.recycle(transfer.easy)
        if case .failure(let error as HTTPClientError) = outcome {
            self.logger.debug("HTTP request failed", metadata: ["error": "\(error)"])
        }
        transfer.continuation.resume(with: outcome)
    }

    private func recycle(_ easy: CurlEasyHandle) {
        easy.reset()
        if self.idleHandles.count < self.maxIdleHandles {
            self.idleHandles.append(easy)
        }
    }

    private func stop() {
        let error = HTTPClientError(code: .shutdown, message: "the HTTP client was shut down")
        for easy in Array(self.active.keys) {
            self.finish(easy, with: .failure(error))
        }
        self.idleHandles.removeAll()
        let (leftover, waiters) = self.lock.withLock {
            self.exited = true
            curl_multi_cleanup(self.multi)
            defer {
                self.submissions.removeAll()
                self.shutdownWaiters.removeAll()
            }
            return (self.submissions, self.shutdownWaiters)
        }
        for submission in leftover {
            submission.continuation.resume(throwing: HTTPClientError(code: .shutdown, message: "the HTTP client was shut down", requestWasNotSent: true))
        }
        for waiter in waiters {
            waiter.resume()
        }
    }
}

/// `curl_global_init` once per process, before the first handle.
enum CurlGlobal {
    private static let initialized: Bool = tf_curl_global_init_all() == CURLE_OK

    static func initialize() {
        precondition(initialized, "curl_global_init failed")
    }
}
