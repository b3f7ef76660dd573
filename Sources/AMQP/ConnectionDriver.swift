@preconcurrency import CRabbitMQ
import DedicatedThread
import Foundation
import Logging
import Metrics
import Timing

#if canImport(Glibc)
import Glibc
#endif

/// Owns one librabbitmq connection and runs it on a dedicated thread: the only code that calls into
/// librabbitmq for this connection, so the non-Sendable `amqp_connection_state_t` never leaves it.
///
/// The loop drains caller commands from ``ConnectionShared``, reads whatever frames have arrived
/// (deliveries, confirms, method replies — all asynchronous, matched per channel in order), and sleeps
/// in `poll` on the socket and a wake-up pipe when there is nothing to do. Synchronous AMQP methods
/// are sent with `amqp_send_method` and completed when their reply frame arrives, so the thread never
/// blocks on one method while deliveries and confirms queue up behind it.
///
/// What to do after a loss, a failed attempt or a replay reply is decided by ``ConnectionStateMachine``;
/// the driver only carries out its actions. The extensions hold frame handling (`+Frames`), method
/// encoding (`+Methods`), caller commands (`+Commands`) and restoring channels (`+Replay`).
final class ConnectionDriver {
    /// Thrown inside the loop when the connection is gone.
    struct Exit: Error {
        var reason: String

        static func lost(_ reason: String) -> Exit { Exit(reason: reason) }
    }

    let configuration: AMQPConfiguration
    let shared: ConnectionShared
    var logger: Logger
    var state: amqp_connection_state_t?
    var channels: [UInt16: ChannelRecord] = [:]
    /// Declarations to replay after a reconnect.
    var topology = TopologyRecord()
    /// Reconnect and replay bookkeeping.
    var machine: ConnectionStateMachine
    var lastChannelID: UInt16 = 0
    var generationCounter: UInt64 = 0
    let arena = CArena()
    var closeWaiters: [CheckedContinuation<Void, Never>] = []
    /// `tilefleet_broker_reconnects_total` of whatever metrics backend the process bootstrapped.
    let reconnects = Counter(label: "tilefleet_broker_reconnects_total")

    private init(configuration: AMQPConfiguration, shared: ConnectionShared, logger: Logger) {
        self.configuration = configuration
        self.shared = shared
        self.logger = logger
        self.machine = ConnectionStateMachine(policy: configuration.reconnect, endpoints: configuration.urls.count)
    }

    /// Starts the connection thread; `connected` resumes once the first connection is up or failed.
    static func start(
        configuration: AMQPConfiguration, shared: ConnectionShared, logger: Logger,
        connected: CheckedContinuation<Void, any Error>
    ) {
        DedicatedThread.start(name: "amqp \(configuration.url.host):\(configuration.url.port)") {
            let driver = ConnectionDriver(configuration: configuration, shared: shared, logger: logger)
            driver.run(connected: connected)
        }
    }

    // MARK: Lifecycle

    func run(connected: CheckedContinuation<Void, any Error>) {
        // The first connection tries every URL in turn; it fails only when none answers.
        var failures: [AMQPError] = []
        var first: Int?
        for index in configuration.urls.indices {
            do {
                try establish(configuration.urls[index])
                first = index
                break
            } catch {
                failures.append(error)
            }
        }
        guard let first else {
            for command in shared.finishClosed() { _ = command.fail(.connectionClosed) }
            connected.resume(throwing: failures.count == 1 ? failures[0] : AMQPError.connectFailed(
                url: configuration.urls.map(\.description).joined(separator: ","),
                reason: "no broker answered: " + failures.map { "\($0)" }.joined(separator: "; ")))
            return
        }
        _ = perform(machine.firstConnected(endpoint: first))
        connected.resume()

        while true {
            let action: ConnectionStateMachine.Action
            do throws(Exit) {
                try serve()
                action = .shutdown(graceful: true)
            } catch {
                logger.warning("AMQP connection lost", metadata: ["reason": "\(error.reason)"])
                action = machine.connectionLost(reason: error.reason)
            }
            guard perform(action) else { return }
        }
    }

    /// Carries out `action` and whatever the state machine asks for next, until the loop can serve
    /// the connection again (true) or the connection is finished (false).
    func perform(_ action: ConnectionStateMachine.Action) -> Bool {
        var action = action
        while true {
            switch action {
            case .none:
                return true
            case .markOpen:
                shared.setStatus(.open)
                logger.info("AMQP connected", metadata: ["url": "\(configuration.urls[machine.endpoint])"])
                return true
            case .failInFlight(let reason):
                handleLoss(reason)
                action = machine.nextReconnect()
            case .reportFailedAttempt(let attempt, let reason, let retryIn):
                logger.info("AMQP reconnect attempt failed", metadata: ["attempt": "\(attempt)", "reason": "\(reason)"])
                shared.emit(.reconnectFailed(attempt: attempt, reason: reason, retryIn: retryIn))
                action = machine.nextReconnect()
            case .scheduleReconnect(_, let delay):
                if let closed = sleepUnlessClosed(seconds: delay) {
                    action = closed
                    continue
                }
                do {
                    try establish(configuration.urls[machine.endpoint])
                    if configuration.urls.count > 1 {
                        logger.info("AMQP reconnected to", metadata: ["url": "\(configuration.urls[machine.endpoint])"])
                    }
                    action = machine.connected()
                } catch {
                    action = machine.reconnectAttemptFailed(reason: "\(error)")
                }
            case .giveUp(let attempts):
                logger.error("AMQP reconnection given up", metadata: ["attempts": "\(attempts)"])
                action = .shutdown(graceful: false)
            case .startReplay, .restoreConsumers, .markReconnected:
                do throws(Exit) {
                    try performReplay(action)
                    return true
                } catch {
                    action = machine.connectionLost(reason: error.reason)
                }
            case .shutdown(let graceful):
                shutdown(graceful: graceful)
                return false
            }
        }
    }

    /// Opens the socket to `url` (TLS when `amqps`) and logs in. On failure nothing is left open.
    func establish(_ url: AMQPURL) throws(AMQPError) {
        let redacted = url.description
        guard let connection = amqp_new_connection() else {
            throw .connectFailed(url: redacted, reason: "out of memory")
        }
        var ok = false
        defer { if !ok { amqp_destroy_connection(connection) } }

        let socket: OpaquePointer?
        if url.scheme == .amqps {
            socket = amqp_ssl_socket_new(connection)
            guard let socket else { throw .connectFailed(url: redacted, reason: "cannot create a TLS socket") }
            amqp_ssl_socket_set_verify_peer(socket, 1)
            amqp_ssl_socket_set_verify_hostname(socket, 1)
            let caFile = configuration.effectiveCACertificateFile(url)
                ?? (FileManager.default.fileExists(atPath: "/etc/ssl/certs/ca-certificates.crt") ? "/etc/ssl/certs/ca-certificates.crt" : nil)
            if let caFile {
                let status = amqp_ssl_socket_set_cacert(socket, caFile)
                guard status == AMQP_STATUS_OK.rawValue else {
                    throw .connectFailed(url: redacted, reason: "cannot load CA certificates from \(caFile): \(Self.errorString(status))")
                }
            }
        } else {
            socket = amqp_tcp_socket_new(connection)
            guard socket != nil else { throw .connectFailed(url: redacted, reason: "cannot create a socket") }
        }

        var timeout = Self.timeval(seconds: configuration.connectTimeout)
        amqp_set_handshake_timeout(connection, &timeout)
        amqp_set_rpc_timeout(connection, &timeout)
        let openStatus = amqp_socket_open_noblock(socket, url.host, Int32(url.port), &timeout)
        guard openStatus == AMQP_STATUS_OK.rawValue else {
            throw .connectFailed(url: redacted, reason: Self.errorString(openStatus))
        }

        var properties: AMQPTable = [
            "product": "tilefleet",
            "capabilities": .table([
                "consumer_cancel_notify": true,
                "publisher_confirms": true,
                "basic.nack": true,
                "connection.blocked": true,
                "authentication_failure_close": true,
            ]),
        ]
        if let name = configuration.connectionName { properties["connection_name"] = .string(name) }
        arena.reset()
        defer { arena.reset() }
        var table = arena.table(properties)
        let reply = tf_amqp_login_plain_with_properties(
            connection, arena.cString(url.vhost), 0, Int32(configuration.frameMax), Int32(configuration.effectiveHeartbeat(url)),
            &table, arena.cString(url.user), arena.cString(url.password)
        )
        if let failure = Self.describe(reply) {
            throw .connectFailed(url: redacted, reason: failure)
        }
        ok = true
        state = connection
    }

    /// Closes and frees the librabbitmq connection, politely if `graceful`.
    func destroyConnection(graceful: Bool) {
        guard let state else { return }
        if graceful {
            _ = amqp_connection_close(state, AMQP_REPLY_SUCCESS)
        }
        amqp_destroy_connection(state)
        self.state = nil
    }

    /// Fails everything in flight after the connection died, keeping what is to be restored.
    func handleLoss(_ reason: String) {
        shared.setStatus(.reconnecting(reason: reason))
        destroyConnection(graceful: false)
        for command in shared.takeCommands() { failQueued(command, .connectionUnavailable(reason: reason)) }
        for record in channels.values.sorted(by: { $0.id < $1.id }) {
            failInFlight(on: record, rpcError: .connectionLost(reason: reason), confirmReason: reason)
        }
        // Channels never opened (their open was in flight) are forgotten.
        for (id, record) in channels where record.closing {
            channels.removeValue(forKey: id)
            shared.removeChannel(id, error: .channelNotOpen)
        }
        shared.emit(.disconnected(reason: reason))
    }

    /// Sleeps up to `seconds`, waking early for commands: queued ones fail (the connection is down)
    /// except close, which ends the wait; then returns the state machine's next action (shut down).
    /// Timed on the monotonic clock: a wall clock stepped back (NTP on a fresh machine) must not
    /// stretch the wait.
    func sleepUnlessClosed(seconds: Double) -> ConnectionStateMachine.Action? {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while true {
            for command in shared.takeCommands() {
                failQueued(command, shared.currentStatus == .closed ? .connectionClosed : .connectionUnavailable(reason: "reconnecting"))
            }
            if case .closed = machine.state { return machine.nextReconnect() }
            let remaining = (deadline - ContinuousClock.now).inSeconds
            if remaining <= 0 { return nil }
            if shared.prepareToSleep() {
                var descriptor = pollfd(fd: shared.wakeFD, events: Int16(POLLIN), revents: 0)
                _ = poll(&descriptor, 1, Int32(max(1, min(remaining * 1000, 1000))))
                shared.didWake()
            }
        }
    }

    /// Ends the connection for good: everything pending fails, streams finish.
    func shutdown(graceful: Bool) {
        destroyConnection(graceful: graceful)
        for record in channels.values {
            failInFlight(on: record, rpcError: .connectionClosed, confirmReason: "connection closed")
            for tag in record.consumerOrder { record.consumers[tag]?.stream.finish(.connectionClosed) }
            record.consumers.removeAll()
        }
        channels.removeAll()
        for command in shared.finishClosed() {
            if case .close(let continuation) = command {
                if let continuation { closeWaiters.append(continuation) }
            } else {
                _ = command.fail(.connectionClosed)
            }
        }
        logger.info("AMQP connection closed")
        for waiter in closeWaiters { waiter.resume() }
        closeWaiters.removeAll()
    }

    func failQueued(_ command: Command, _ error: AMQPError) {
        if case .close(let continuation) = command {
            if let continuation { closeWaiters.append(continuation) }
            _ = machine.closeRequested()
            return
        }
        if let channel = command.fail(error) {
            shared.releaseWindow(channel: channel, count: 1)
        }
    }

    /// Fails a channel's pending replies and unconfirmed publishes (the channel or connection is gone).
    func failInFlight(on record: ChannelRecord, rpcError: AMQPError, confirmReason: String) {
        let pending = record.pendingReplies
        record.pendingReplies.removeAll()
        for reply in pending { complete(reply.completion, on: record, with: .failure(rpcError)) }
        var lost = 0
        record.tracker.reset { _, waiter in
            lost += 1
            if let waiter {
                waiter.resume(throwing: AMQPError.publishUnconfirmed(reason: confirmReason))
            } else {
                record.unconfirmedSinceWait += 1
            }
        }
        shared.releaseWindow(channel: record.id, count: lost)
        resolveConfirmWaiters(on: record, all: true)
        record.incoming = nil
    }

    // MARK: The loop

    /// Runs the connection until the caller closes it (returns) or it is lost (throws).
    func serve() throws(Exit) {
        while true {
            guard let state else { throw .lost("no connection") }
            if let reason = machine.takeDeferredLoss() { throw .lost(reason) }
            if let reason = machine.replayStall(now: .now) { throw .lost(reason) }
            var worked = false
            let commands = shared.takeCommands()
            if !commands.isEmpty {
                worked = true
                for (index, command) in commands.enumerated() {
                    do throws(Exit) {
                        try execute(command)
                    } catch {
                        // The rest were never started: back in the queue, the loss handling fails them
                        // with everything else, so no caller waits for good.
                        shared.requeueFront(commands[(index + 1)...])
                        throw error
                    }
                }
            }
            if machine.isClosing { return }

            var frames = 0
            while frames < 1024, try readFrame() { frames += 1 }
            if frames > 0 { worked = true }
            if worked || amqp_data_in_buffer(state) != 0 || amqp_frames_enqueued(state) != 0 { continue }

            if shared.prepareToSleep() {
                let heartbeat = amqp_get_heartbeat(state)
                let sleepMillis = heartbeat > 0 ? min(1000, Int32(heartbeat) * 250) : 1000
                var descriptors = [
                    pollfd(fd: amqp_get_sockfd(state), events: Int16(POLLIN), revents: 0),
                    pollfd(fd: shared.wakeFD, events: Int16(POLLIN), revents: 0),
                ]
                _ = poll(&descriptors, 2, sleepMillis)
                shared.didWake()
            }
        }
    }

    // MARK: Helpers

    func nextGeneration() -> UInt64 {
        generationCounter += 1
        return generationCounter
    }

    func allocateChannelID() -> UInt16? {
        for _ in 0..<2047 {
            lastChannelID = lastChannelID >= 2047 ? 1 : lastChannelID + 1
            if channels[lastChannelID] == nil { return lastChannelID }
        }
        return nil
    }

    static func errorString(_ status: Int32) -> String {
        String(cString: amqp_error_string2(status))
    }

    static func timeval(seconds: Double) -> Glibc.timeval {
        let whole = Int(seconds)
        return Glibc.timeval(tv_sec: whole, tv_usec: Int((seconds - Double(whole)) * 1_000_000))
    }

    /// Nil for a normal reply, else what went wrong (never including credentials).
    static func describe(_ reply: amqp_rpc_reply_t) -> String? {
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL:
            return nil
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            return errorString(reply.library_error)
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            if reply.reply.id == AMQPMethodID.connectionClose, let decoded = reply.reply.decoded {
                let close = decoded.load(as: amqp_connection_close_t.self)
                return "broker refused: \(close.reply_code) \(String(amqpBytes: close.reply_text))"
            }
            if reply.reply.id == AMQPMethodID.channelClose, let decoded = reply.reply.decoded {
                let close = decoded.load(as: amqp_channel_close_t.self)
                return "broker refused: \(close.reply_code) \(String(amqpBytes: close.reply_text))"
            }
            return "broker exception (method \(reply.reply.id))"
        default:
            return "no reply"
        }
    }
}
