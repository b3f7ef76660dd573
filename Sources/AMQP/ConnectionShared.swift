import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The only state shared between callers and a connection's thread, behind one lock: the command
/// queue, the connection status, per-channel publish windows and generations, and event subscribers.
/// The thread sleeps in `poll` on its socket and on a wake-up pipe that callers write to only when it
/// is asleep, so a burst of commands costs one wake-up.
final class ConnectionShared: @unchecked Sendable {
    enum Status: Sendable, Equatable {
        case connecting
        case open
        case reconnecting(reason: String)
        case closed
    }

    struct WindowWaiter: Sendable {
        var request: PublishRequest
        /// Resumed once the publish holds a window slot and is queued (fire-and-forget publishes).
        var grant: CheckedContinuation<Void, any Error>?
    }

    struct ChannelSlot {
        var generation: UInt64
        var window: PublishWindow<WindowWaiter>?
    }

    private let lock = NSLock()
    private var commands: [Command] = []
    private var status: Status = .connecting
    private var channels: [UInt16: ChannelSlot] = [:]
    private var sleeping = false
    private var wakeSignalled = false
    private var subscribers: [Int: AsyncStream<AMQPConnectionEvent>.Continuation] = [:]
    private var nextSubscriber = 0
    /// The read end of the wake-up pipe, which the thread polls together with its socket.
    let wakeFD: Int32
    private let wakeWriteFD: Int32

    init() {
        var fds: [Int32] = [-1, -1]
        let result = pipe(&fds)
        precondition(result == 0, "pipe failed: errno \(errno)")
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        wakeFD = fds[0]
        wakeWriteFD = fds[1]
    }

    deinit {
        close(wakeFD)
        close(wakeWriteFD)
    }

    // MARK: Caller side

    var currentStatus: Status { lock.withLock { status } }

    private func unavailableError() -> AMQPError {
        switch status {
        case .open: .connectionUnavailable(reason: "open")
        case .connecting: .connectionUnavailable(reason: "connecting")
        case .reconnecting(let reason): .connectionUnavailable(reason: reason)
        case .closed: .connectionClosed
        }
    }

    /// Queues `command` if the connection is open (and the channel, for channel commands).
    func enqueue(_ command: Command, channel: UInt16? = nil) throws(AMQPError) {
        let wake: Bool
        lock.lock()
        if case .close = command, status != .closed {
            // Close is accepted in every state but closed.
        } else if status != .open {
            let error = unavailableError()
            lock.unlock()
            throw error
        } else if let channel, channels[channel] == nil {
            lock.unlock()
            throw AMQPError.channelNotOpen
        }
        commands.append(command)
        wake = takeWakeLocked()
        lock.unlock()
        if wake { signal() }
    }

    /// Queues a settle for a delivery, if it belongs to the current incarnation of its channel.
    func enqueueSettle(channel: UInt16, generation: UInt64, tag: UInt64, kind: SettleKind) throws(AMQPError) {
        lock.lock()
        guard status == .open else {
            let error = unavailableError()
            lock.unlock()
            throw error
        }
        guard let slot = channels[channel] else {
            lock.unlock()
            throw AMQPError.channelNotOpen
        }
        guard slot.generation == generation else {
            lock.unlock()
            throw AMQPError.staleDelivery
        }
        commands.append(.settle(channel: channel, generation: generation, tag: tag, kind))
        let wake = takeWakeLocked()
        lock.unlock()
        if wake { signal() }
    }

    /// Queues a publish if its channel's confirm window (if any) has room. Returns false, queuing
    /// nothing, when the window is full.
    func enqueuePublish(_ request: PublishRequest) throws(AMQPError) -> Bool {
        lock.lock()
        guard status == .open else {
            let error = unavailableError()
            lock.unlock()
            throw error
        }
        guard var slot = channels[request.channel] else {
            lock.unlock()
            throw AMQPError.channelNotOpen
        }
        if slot.window != nil {
            guard slot.window!.tryAcquire() else {
                lock.unlock()
                return false
            }
            channels[request.channel] = slot
        }
        commands.append(.publish(request))
        let wake = takeWakeLocked()
        lock.unlock()
        if wake { signal() }
        return true
    }

    /// Queues a publish now if its window has room, or else when confirms free a slot. `grant` (or,
    /// without it, the request's confirmation) is resumed with an error if that never happens.
    func enqueuePublishWhenWindowOpens(_ request: PublishRequest, grant: CheckedContinuation<Void, any Error>?) {
        lock.lock()
        let failure: AMQPError?
        if status != .open {
            failure = unavailableError()
        } else if var slot = channels[request.channel] {
            failure = nil
            if slot.window == nil || slot.window!.tryAcquire() {
                commands.append(.publish(request))
                let wake = takeWakeLocked()
                lock.unlock()
                if wake { signal() }
                grant?.resume()
                return
            }
            slot.window!.enqueue(WindowWaiter(request: request, grant: grant))
            channels[request.channel] = slot
        } else {
            failure = .channelNotOpen
        }
        lock.unlock()
        if let failure {
            request.confirmation?.resume(throwing: failure)
            grant?.resume(throwing: failure)
        }
    }

    /// A new stream of connection events.
    func subscribe() -> AsyncStream<AMQPConnectionEvent> {
        let (stream, continuation) = AsyncStream<AMQPConnectionEvent>.makeStream(bufferingPolicy: .bufferingNewest(64))
        let id: Int? = lock.withLock {
            guard status != .closed else { return nil }
            nextSubscriber += 1
            subscribers[nextSubscriber] = continuation
            return nextSubscriber
        }
        if let id {
            continuation.onTermination = { [weak self] _ in
                self?.lock.withLock { _ = self?.subscribers.removeValue(forKey: id) }
            }
        } else {
            continuation.yield(.closed)
            continuation.finish()
        }
        return stream
    }

    private func takeWakeLocked() -> Bool {
        guard sleeping, !wakeSignalled else { return false }
        wakeSignalled = true
        return true
    }

    private func signal() {
        var one: UInt8 = 1
        _ = write(wakeWriteFD, &one, 1)
    }

    // MARK: Thread side

    /// Takes every queued command, in order.
    func takeCommands() -> [Command] {
        lock.lock()
        defer { lock.unlock() }
        if commands.isEmpty { return [] }
        let taken = commands
        commands.removeAll(keepingCapacity: true)
        return taken
    }

    /// Puts commands taken but not carried out back at the head of the queue, in order (the
    /// connection was lost in the middle of a batch): whoever takes the queue next fails them.
    func requeueFront(_ taken: some Collection<Command>) {
        guard !taken.isEmpty else { return }
        lock.withLock { commands.insert(contentsOf: taken, at: 0) }
    }

    /// Marks the thread asleep unless commands are waiting; returns whether it may sleep.
    func prepareToSleep() -> Bool {
        lock.withLock {
            guard commands.isEmpty else { return false }
            sleeping = true
            return true
        }
    }

    /// Called after waking: clears the flags and drains the wake-up pipe.
    func didWake() {
        lock.withLock {
            sleeping = false
            wakeSignalled = false
        }
        var buffer: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        _ = withUnsafeMutableBytes(of: &buffer) { read(wakeFD, $0.baseAddress, $0.count) }
    }

    func setStatus(_ newStatus: Status) {
        lock.withLock { status = newStatus }
    }

    /// Registers or updates a channel incarnation; `windowLimit` non-nil once confirms are on.
    func setChannel(_ id: UInt16, generation: UInt64, windowLimit: Int?) {
        lock.withLock {
            var slot = channels[id] ?? ChannelSlot(generation: generation, window: nil)
            slot.generation = generation
            if let windowLimit {
                if slot.window == nil || slot.window!.limit != windowLimit {
                    var window = PublishWindow<WindowWaiter>(limit: windowLimit)
                    if let old = slot.window {
                        for _ in 0..<old.inFlight { _ = window.tryAcquire() }
                    }
                    slot.window = window
                }
            }
            channels[id] = slot
        }
    }

    /// Forgets a closed channel; queued window waiters fail.
    func removeChannel(_ id: UInt16, error: AMQPError) {
        let waiters: [WindowWaiter] = lock.withLock {
            guard var slot = channels.removeValue(forKey: id) else { return [] }
            return slot.window?.removeAllWaiters() ?? []
        }
        for waiter in waiters {
            waiter.request.confirmation?.resume(throwing: error)
            waiter.grant?.resume(throwing: error)
        }
    }

    /// Returns `count` window slots of `channel`; waiting publishes take them and are queued (or fail
    /// if the connection is not open).
    func releaseWindow(channel: UInt16, count: Int) {
        guard count > 0 else { return }
        var granted: [WindowWaiter] = []
        var failed: [WindowWaiter] = []
        var failure: AMQPError = .connectionClosed
        lock.lock()
        if var slot = channels[channel], slot.window != nil {
            var toRelease = count
            while toRelease > 0 {
                let handed = slot.window!.release(toRelease)
                toRelease = 0
                for waiter in handed {
                    if status == .open {
                        commands.append(.publish(waiter.request))
                        granted.append(waiter)
                    } else {
                        failed.append(waiter)
                        toRelease += 1
                    }
                }
            }
            channels[channel] = slot
            if !failed.isEmpty { failure = unavailableError() }
        }
        let wake = granted.isEmpty ? false : takeWakeLocked()
        lock.unlock()
        if wake { signal() }
        for waiter in granted { waiter.grant?.resume() }
        for waiter in failed {
            waiter.request.confirmation?.resume(throwing: failure)
            waiter.grant?.resume(throwing: failure)
        }
    }

    func emit(_ event: AMQPConnectionEvent) {
        let targets = lock.withLock { Array(subscribers.values) }
        for target in targets { target.yield(event) }
    }

    /// Marks the connection closed for good and ends every event stream.
    func finishClosed() -> [Command] {
        let (targets, leftover, waiters): ([AsyncStream<AMQPConnectionEvent>.Continuation], [Command], [WindowWaiter]) = lock.withLock {
            status = .closed
            let targets = Array(subscribers.values)
            subscribers.removeAll()
            let leftover = commands
            commands.removeAll()
            var waiters: [WindowWaiter] = []
            for id in channels.keys {
                waiters += channels[id]?.window?.removeAllWaiters() ?? []
            }
            channels.removeAll()
            return (targets, leftover, waiters)
        }
        for waiter in waiters {
            waiter.request.confirmation?.resume(throwing: AMQPError.connectionClosed)
            waiter.grant?.resume(throwing: AMQPError.connectionClosed)
        }
        for target in targets {
            target.yield(.closed)
            target.finish()
        }
        return leftover
    }
}
