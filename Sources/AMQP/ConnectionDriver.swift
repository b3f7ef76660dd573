@preconcurrency import CRabbitMQ
import Foundation
import Logging

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
final class ConnectionDriver {
    /// Thrown inside the loop when the connection is gone.
    struct Exit: Error {
        var reason: String

        static func lost(_ reason: String) -> Exit { Exit(reason: reason) }
    }

    private let configuration: AMQPConfiguration
    private let shared: ConnectionShared
    private var logger: Logger
    private var state: amqp_connection_state_t?
    private var channels: [UInt16: ChannelRecord] = [:]
    /// Declarations to replay after a reconnect, with the channel they were made on.
    private var topology: [(channel: UInt16, operation: ChannelOperation)] = []
    private var lastChannelID: UInt16 = 0
    private var generationCounter: UInt64 = 0
    private let arena = CArena()
    private var closing = false
    private var closeWaiters: [CheckedContinuation<Void, Never>] = []
    /// While restoring after a reconnect: replies still awaited, and whether consumers were sent yet.
    private var replayPending = 0
    private var replayingConsumers = false
    private var replaying = false
    private var reconnectAttempt = 0

    private init(configuration: AMQPConfiguration, shared: ConnectionShared, logger: Logger) {
        self.configuration = configuration
        self.shared = shared
        self.logger = logger
    }

    /// Starts the connection thread; `connected` resumes once the first connection is up or failed.
    static func start(
        configuration: AMQPConfiguration, shared: ConnectionShared, logger: Logger,
        connected: CheckedContinuation<Void, any Error>
    ) {
        let thread = Thread {
            // Process signals are not this thread's business. Left unblocked, a SIGCHLD meant for
            // libdispatch's signalfd (Foundation's Process) would be delivered here and lost.
            var signals = sigset_t()
            sigfillset(&signals)
            pthread_sigmask(SIG_BLOCK, &signals, nil)
            let driver = ConnectionDriver(configuration: configuration, shared: shared, logger: logger)
            driver.run(connected: connected)
        }
        thread.name = "amqp \(configuration.url.host):\(configuration.url.port)"
        thread.start()
    }

    // MARK: Lifecycle

    private func run(connected: CheckedContinuation<Void, any Error>) {
        do {
            try establish()
        } catch {
            for command in shared.finishClosed() { _ = command.fail(.connectionClosed) }
            connected.resume(throwing: error)
            return
        }
        shared.setStatus(.open)
        logger.info("AMQP connected", metadata: ["url": "\(configuration.url)"])
        connected.resume()

        while true {
            do throws(Exit) {
                try serve()
                shutdown(graceful: true)
                return
            } catch {
                let reason = error.reason
                logger.warning("AMQP connection lost", metadata: ["reason": "\(reason)"])
                handleLoss(reason)
                guard reconnect() else {
                    shutdown(graceful: false)
                    return
                }
            }
        }
    }

    /// Opens the socket (TLS when `amqps`) and logs in. On failure nothing is left open.
    private func establish() throws(AMQPError) {
        let url = configuration.url
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
            let caFile = configuration.effectiveCACertificateFile
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
            connection, arena.cString(url.vhost), 0, Int32(configuration.frameMax), Int32(configuration.effectiveHeartbeat),
            &table, arena.cString(url.user), arena.cString(url.password)
        )
        if let failure = Self.describe(reply) {
            throw .connectFailed(url: redacted, reason: failure)
        }
        ok = true
        state = connection
    }

    /// Closes and frees the librabbitmq connection, politely if `graceful`.
    private func destroyConnection(graceful: Bool) {
        guard let state else { return }
        if graceful {
            _ = amqp_connection_close(state, AMQP_REPLY_SUCCESS)
        }
        amqp_destroy_connection(state)
        self.state = nil
    }

    /// Fails everything in flight after the connection died, keeping what is to be restored.
    private func handleLoss(_ reason: String) {
        shared.setStatus(.reconnecting(reason: reason))
        destroyConnection(graceful: false)
        replaying = false
        pendingLoss = nil
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

    /// Reconnects with backoff and starts restoring channels, topology and consumers. Returns false
    /// if the caller closed the connection meanwhile or the policy gave up.
    private func reconnect() -> Bool {
        var attempt = 0
        while true {
            attempt += 1
            if let maxAttempts = configuration.reconnect.maxAttempts, attempt > maxAttempts {
                logger.error("AMQP reconnection given up", metadata: ["attempts": "\(attempt - 1)"])
                return false
            }
            let delay = configuration.reconnect.delay(beforeAttempt: attempt)
            guard sleepUnlessClosed(seconds: delay) else { return false }
            do {
                try establish()
            } catch {
                let next = configuration.reconnect.delay(beforeAttempt: attempt + 1, random: 0)
                logger.info("AMQP reconnect attempt failed", metadata: ["attempt": "\(attempt)", "reason": "\(error)"])
                shared.emit(.reconnectFailed(attempt: attempt, reason: "\(error)", retryIn: next))
                continue
            }
            reconnectAttempt = attempt
            do throws(Exit) {
                try startReplay()
                return true
            } catch {
                let reason = error.reason
                handleLoss(reason)
            }
        }
    }

    /// Sleeps up to `seconds`, waking early for commands: queued ones fail (the connection is down)
    /// except close, which ends the wait and returns false.
    private func sleepUnlessClosed(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            for command in shared.takeCommands() {
                if case .close(let continuation) = command {
                    closing = true
                    if let continuation { closeWaiters.append(continuation) }
                } else {
                    failQueued(command, shared.currentStatus == .closed ? .connectionClosed : .connectionUnavailable(reason: "reconnecting"))
                }
            }
            if closing { return false }
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { return true }
            if shared.prepareToSleep() {
                var descriptor = pollfd(fd: shared.wakeFD, events: Int16(POLLIN), revents: 0)
                _ = poll(&descriptor, 1, Int32(max(1, min(remaining * 1000, 1000))))
                shared.didWake()
            }
        }
    }

    /// Ends the connection for good: everything pending fails, streams finish.
    private func shutdown(graceful: Bool) {
        destroyConnection(graceful: graceful)
        for record in channels.values {
            failInFlight(on: record, rpcError: .connectionClosed, confirmReason: "connection closed")
            for tag in record.consumerOrder { record.consumers[tag]?.stream.finish() }
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

    private func failQueued(_ command: Command, _ error: AMQPError) {
        if case .close(let continuation) = command {
            closing = true
            if let continuation { closeWaiters.append(continuation) }
            return
        }
        if let channel = command.fail(error) {
            shared.releaseWindow(channel: channel, count: 1)
        }
    }

    /// Fails a channel's pending replies and unconfirmed publishes (the channel or connection is gone).
    private func failInFlight(on record: ChannelRecord, rpcError: AMQPError, confirmReason: String) {
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
    private func serve() throws(Exit) {
        while true {
            guard let state else { throw .lost("no connection") }
            if let reason = pendingLoss {
                pendingLoss = nil
                throw .lost(reason)
            }
            var worked = false
            let commands = shared.takeCommands()
            if !commands.isEmpty {
                worked = true
                for command in commands { try execute(command) }
            }
            if closing { return }

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

    /// Reads and handles one frame if one is available. Heartbeats are sent and checked in here.
    private func readFrame() throws(Exit) -> Bool {
        guard let state else { throw .lost("no connection") }
        var frame = amqp_frame_t()
        // Not zero: librabbitmq checks the heartbeat deadline only for a real timeout.
        var timeout = Glibc.timeval(tv_sec: 0, tv_usec: 1)
        let status = amqp_simple_wait_frame_noblock(state, &frame, &timeout)
        if status == AMQP_STATUS_TIMEOUT.rawValue { return false }
        guard status == AMQP_STATUS_OK.rawValue else { throw .lost(Self.errorString(status)) }
        try handle(frame)
        if self.state != nil {
            amqp_maybe_release_buffers_on_channel(state, frame.channel)
        }
        return true
    }

    private func handle(_ frame: amqp_frame_t) throws(Exit) {
        switch Int32(frame.frame_type) {
        case AMQP_FRAME_METHOD:
            try handleMethod(frame.payload.method, channel: frame.channel)
        case AMQP_FRAME_HEADER:
            guard let record = channels[frame.channel], var incoming = record.incoming, !incoming.hasHeader else { return }
            if let decoded = frame.payload.properties.decoded {
                incoming.properties = AMQPProperties(amqpProperties: decoded.load(as: amqp_basic_properties_t.self))
            }
            incoming.bodySize = Int(frame.payload.properties.body_size)
            incoming.hasHeader = true
            incoming.body.reserveCapacity(incoming.bodySize)
            record.incoming = incoming
            if incoming.bodySize == 0 { try completeIncoming(on: record) }
        case AMQP_FRAME_BODY:
            guard let record = channels[frame.channel], record.incoming?.hasHeader == true else { return }
            let fragment = frame.payload.body_fragment
            if let bytes = fragment.bytes, fragment.len > 0 {
                record.incoming!.body.append(contentsOf: UnsafeRawBufferPointer(start: bytes, count: fragment.len))
            }
            if record.incoming!.body.count >= record.incoming!.bodySize { try completeIncoming(on: record) }
        default:
            break
        }
    }

    private func handleMethod(_ method: amqp_method_t, channel channelID: UInt16) throws(Exit) {
        let id = method.id
        let decoded = method.decoded
        if channelID == 0 {
            switch id {
            case AMQPMethodID.connectionClose:
                let close = decoded!.load(as: amqp_connection_close_t.self)
                let text = String(amqpBytes: close.reply_text)
                var closeOK = amqp_connection_close_ok_t(dummy: 0)
                _ = amqp_send_method(state, 0, AMQPMethodID.connectionCloseOK, &closeOK)
                throw .lost("broker closed the connection: \(close.reply_code) \(text)")
            case AMQPMethodID.connectionBlocked:
                logger.warning("AMQP connection blocked by the broker (resource alarm); publishes will stall")
            case AMQPMethodID.connectionUnblocked:
                logger.info("AMQP connection unblocked")
            default:
                logger.debug("AMQP ignoring connection method", metadata: ["method": "\(id)"])
            }
            return
        }
        guard let record = channels[channelID] else {
            logger.debug("AMQP method on unknown channel", metadata: ["channel": "\(channelID)", "method": "\(id)"])
            return
        }
        switch id {
        case AMQPMethodID.basicDeliver:
            let deliver = decoded!.load(as: amqp_basic_deliver_t.self)
            record.incoming = ChannelRecord.Incoming(
                kind: .deliver(
                    consumerTag: String(amqpBytes: deliver.consumer_tag), deliveryTag: deliver.delivery_tag,
                    redelivered: deliver.redelivered != 0
                ),
                exchange: String(amqpBytes: deliver.exchange), routingKey: String(amqpBytes: deliver.routing_key)
            )
        case AMQPMethodID.basicReturn:
            let returned = decoded!.load(as: amqp_basic_return_t.self)
            record.incoming = ChannelRecord.Incoming(
                kind: .returned(replyCode: returned.reply_code, replyText: String(amqpBytes: returned.reply_text)),
                exchange: String(amqpBytes: returned.exchange), routingKey: String(amqpBytes: returned.routing_key)
            )
        case AMQPMethodID.basicAck:
            let ack = decoded!.load(as: amqp_basic_ack_t.self)
            settleConfirms(on: record, tag: ack.delivery_tag, multiple: ack.multiple != 0, ack: true)
        case AMQPMethodID.basicNack:
            let nack = decoded!.load(as: amqp_basic_nack_t.self)
            settleConfirms(on: record, tag: nack.delivery_tag, multiple: nack.multiple != 0, ack: false)
        case AMQPMethodID.basicCancel:
            // The broker cancelled a consumer (its queue was deleted, or it failed over).
            let cancel = decoded!.load(as: amqp_basic_cancel_t.self)
            let tag = String(amqpBytes: cancel.consumer_tag)
            logger.warning("AMQP consumer cancelled by the broker", metadata: ["consumer": "\(tag)"])
            record.removeConsumer(tag)?.stream.finish()
            if cancel.nowait == 0 {
                try send(AMQPMethodID.basicCancelOK, on: channelID) { arena in
                    var ok = amqp_basic_cancel_ok_t(consumer_tag: arena.bytes(tag))
                    return amqp_send_method(state, channelID, AMQPMethodID.basicCancelOK, &ok)
                }
            }
        case AMQPMethodID.channelClose:
            let close = decoded!.load(as: amqp_channel_close_t.self)
            try channelClosedByBroker(record, code: close.reply_code, text: String(amqpBytes: close.reply_text))
        case AMQPMethodID.channelFlow:
            let flow = decoded!.load(as: amqp_channel_flow_t.self)
            var ok = amqp_channel_flow_ok_t(active: flow.active)
            try check(amqp_send_method(state, channelID, AMQPMethodID.channelFlowOK, &ok))
        default:
            guard !record.pendingReplies.isEmpty else {
                logger.debug("AMQP unexpected method", metadata: ["channel": "\(channelID)", "method": "\(id)"])
                return
            }
            let pending = record.pendingReplies.removeFirst()
            if pending.expected != id {
                logger.warning("AMQP reply does not match the request", metadata: ["expected": "\(pending.expected)", "got": "\(id)"])
            }
            let reply: OperationReply
            switch id {
            case AMQPMethodID.queueDeclareOK:
                let ok = decoded!.load(as: amqp_queue_declare_ok_t.self)
                reply = .queue(AMQPQueueInfo(name: String(amqpBytes: ok.queue), messageCount: ok.message_count, consumerCount: ok.consumer_count))
            case AMQPMethodID.queuePurgeOK:
                reply = .messageCount(decoded!.load(as: amqp_queue_purge_ok_t.self).message_count)
            case AMQPMethodID.queueDeleteOK:
                reply = .messageCount(decoded!.load(as: amqp_queue_delete_ok_t.self).message_count)
            default:
                reply = .done
            }
            complete(pending.completion, on: record, with: .success(reply))
        }
    }

    /// The broker closed a channel (an error such as 404 or 406): acknowledge, fail what was in
    /// flight on it, and reopen it with its prefetch, confirms and consumers, unless the caller was
    /// closing it anyway.
    private func channelClosedByBroker(_ record: ChannelRecord, code: UInt16, text: String) throws(Exit) {
        logger.warning("AMQP channel closed by the broker", metadata: ["channel": "\(record.id)", "code": "\(code)", "text": "\(text)"])
        var closeOK = amqp_channel_close_ok_t(dummy: 0)
        try check(amqp_send_method(state, record.id, AMQPMethodID.channelCloseOK, &closeOK))
        let error = AMQPError.channelClosed(replyCode: code, replyText: text)
        failInFlight(on: record, rpcError: error, confirmReason: "channel closed: \(code) \(text)")
        if record.closing {
            forget(record, error: .channelNotOpen)
            return
        }
        record.generation = nextGeneration()
        shared.setChannel(record.id, generation: record.generation, windowLimit: record.confirmWindow)
        try reopen(record, countsForReplay: false)
        for tag in record.consumerOrder {
            guard let consumer = record.consumers[tag] else { continue }
            let operation = ChannelOperation.consume(
                queue: consumer.queue, tag: tag, noAck: consumer.noAck, exclusive: consumer.exclusive, arguments: consumer.arguments
            )
            try send(operation, on: record, completion: .restore("consume \(consumer.queue)", countsForReplay: false))
        }
    }

    /// Sends channel.open and the channel's prefetch and confirm mode.
    private func reopen(_ record: ChannelRecord, countsForReplay: Bool) throws(Exit) {
        try sendChannelOpen(record, completion: .restore("channel.open", countsForReplay: countsForReplay))
        if let prefetch = record.prefetch {
            try send(.qos(prefetchCount: prefetch.count, global: prefetch.global), on: record,
                     completion: .restore("basic.qos", countsForReplay: countsForReplay))
        }
        if let window = record.confirmWindow {
            try send(.confirmSelect(window: window), on: record, completion: .restore("confirm.select", countsForReplay: countsForReplay))
        }
    }

    /// Reopens every channel and redeclares the recorded topology; consumers follow once that is done
    /// (see ``replayStepDone()``), then the connection is marked open again.
    private func startReplay() throws(Exit) {
        replaying = true
        replayingConsumers = false
        replayPending = 0
        let ids = channels.keys.sorted()
        for id in ids {
            let record = channels[id]!
            record.generation = nextGeneration()
            shared.setChannel(id, generation: record.generation, windowLimit: record.confirmWindow)
            try reopen(record, countsForReplay: true)
        }
        if let fallback = ids.first {
            for (channel, operation) in topology {
                let record = channels[channel] ?? channels[fallback]!
                try send(operation, on: record, completion: .restore("\(operation)", countsForReplay: true))
            }
        }
        if replayPending == 0 { try replayStepDone() }
    }

    private func replayStepDone() throws(Exit) {
        guard replaying, replayPending == 0 else { return }
        if !replayingConsumers {
            replayingConsumers = true
            for id in channels.keys.sorted() {
                let record = channels[id]!
                for tag in record.consumerOrder {
                    guard let consumer = record.consumers[tag] else { continue }
                    let operation = ChannelOperation.consume(
                        queue: consumer.queue, tag: tag, noAck: consumer.noAck, exclusive: consumer.exclusive, arguments: consumer.arguments
                    )
                    try send(operation, on: record, completion: .restore("consume \(consumer.queue)", countsForReplay: true))
                }
            }
            if replayPending > 0 { return }
        }
        replaying = false
        shared.setStatus(.open)
        logger.info("AMQP reconnected", metadata: ["attempt": "\(reconnectAttempt)"])
        shared.emit(.reconnected(attempt: reconnectAttempt))
    }

    // MARK: Commands

    private func execute(_ command: Command) throws(Exit) {
        switch command {
        case .publish(let request):
            try publish(request)
        case .settle(let channelID, let generation, let tag, let kind):
            guard let record = channels[channelID], record.generation == generation else { return }
            let status: Int32
            switch kind {
            case .ack(let multiple):
                status = amqp_basic_ack(state, channelID, tag, multiple ? 1 : 0)
            case .nack(let multiple, let requeue):
                status = amqp_basic_nack(state, channelID, tag, multiple ? 1 : 0, requeue ? 1 : 0)
            case .reject(let requeue):
                status = amqp_basic_reject(state, channelID, tag, requeue ? 1 : 0)
            }
            try check(status)
        case .operation(let channelID, let operation, let continuation, let consumer):
            guard let record = channels[channelID], !record.closing else {
                consumer?.finish()
                continuation.resume(throwing: AMQPError.channelNotOpen)
                return
            }
            if case .close = operation { record.closing = true }
            try send(operation, on: record, completion: .caller(operation, continuation, consumer: consumer))
        case .openChannel(let continuation):
            guard let id = allocateChannelID() else {
                continuation.resume(throwing: AMQPError.invalidArgument("no free channel numbers"))
                return
            }
            let record = ChannelRecord(id: id, generation: nextGeneration())
            channels[id] = record
            try sendChannelOpen(record, completion: .openChannel(continuation))
        case .waitForConfirms(let channelID, let continuation):
            guard let record = channels[channelID] else {
                continuation.resume(throwing: AMQPError.channelNotOpen)
                return
            }
            guard record.confirmWindow != nil else {
                continuation.resume(throwing: AMQPError.confirmsNotEnabled)
                return
            }
            record.confirmWaiters.append((record.tracker.nextSequence - 1, continuation))
            resolveConfirmWaiters(on: record, all: false)
        case .close(let continuation):
            closing = true
            if let continuation { closeWaiters.append(continuation) }
        }
    }

    private func publish(_ request: PublishRequest) throws(Exit) {
        guard let record = channels[request.channel], !record.closing else {
            request.confirmation?.resume(throwing: AMQPError.channelNotOpen)
            shared.releaseWindow(channel: request.channel, count: 1)
            return
        }
        arena.reset()
        defer { arena.reset() }
        var properties = arena.properties(request.properties)
        let exchange = arena.bytes(request.exchange)
        let routingKey = arena.bytes(request.routingKey)
        let status = request.body.withUnsafeBytes { body in
            amqp_basic_publish(
                state, request.channel, exchange, routingKey, request.mandatory ? 1 : 0, 0, &properties,
                amqp_bytes_t(len: body.count, bytes: UnsafeMutableRawPointer(mutating: body.baseAddress))
            )
        }
        if status == AMQP_STATUS_TABLE_TOO_BIG.rawValue || status == AMQP_STATUS_INVALID_PARAMETER.rawValue {
            request.confirmation?.resume(throwing: AMQPError.invalidArgument("message rejected by librabbitmq: \(Self.errorString(status))"))
            shared.releaseWindow(channel: request.channel, count: 1)
            return
        }
        if record.confirmWindow != nil {
            // Recorded even if sending failed: the loss handling then reports it as unconfirmed.
            let mandatoryID = request.mandatory ? request.properties.messageID : nil
            _ = record.tracker.recordPublish(waiter: request.confirmation, mandatoryMessageID: mandatoryID)
        }
        try check(status)
        if record.confirmWindow == nil {
            request.confirmation?.resume()
        }
    }

    private func sendChannelOpen(_ record: ChannelRecord, completion: ChannelRecord.Completion) throws(Exit) {
        var open = amqp_channel_open_t(out_of_band: amqp_empty_bytes)
        try check(amqp_send_method(state, record.id, AMQPMethodID.channelOpen, &open))
        record.pendingReplies.append(.init(expected: AMQPMethodID.channelOpenOK, completion: completion))
        if case .restore(_, true) = completion { replayPending += 1 }
    }

    /// Encodes and sends `operation`, expecting its reply later.
    private func send(_ operation: ChannelOperation, on record: ChannelRecord, completion: ChannelRecord.Completion) throws(Exit) {
        let channel = record.id
        let state = self.state
        try send(operation.expectedReply, on: channel) { arena in
            switch operation {
            case .declareExchange(let name, let type, let durable, let autoDelete, let isInternal, let arguments):
                var method = amqp_exchange_declare_t(
                    ticket: 0, exchange: arena.bytes(name), type: arena.bytes(type.rawValue), passive: 0,
                    durable: durable ? 1 : 0, auto_delete: autoDelete ? 1 : 0, internal: isInternal ? 1 : 0, nowait: 0,
                    arguments: arena.table(arguments)
                )
                return amqp_send_method(state, channel, AMQPMethodID.exchangeDeclare, &method)
            case .deleteExchange(let name, let ifUnused):
                var method = amqp_exchange_delete_t(ticket: 0, exchange: arena.bytes(name), if_unused: ifUnused ? 1 : 0, nowait: 0)
                return amqp_send_method(state, channel, AMQPMethodID.exchangeDelete, &method)
            case .declareQueue(let name, let durable, let exclusive, let autoDelete, let arguments):
                var method = amqp_queue_declare_t(
                    ticket: 0, queue: arena.bytes(name), passive: 0, durable: durable ? 1 : 0, exclusive: exclusive ? 1 : 0,
                    auto_delete: autoDelete ? 1 : 0, nowait: 0, arguments: arena.table(arguments)
                )
                return amqp_send_method(state, channel, AMQPMethodID.queueDeclare, &method)
            case .bindQueue(let queue, let exchange, let routingKey, let arguments):
                var method = amqp_queue_bind_t(
                    ticket: 0, queue: arena.bytes(queue), exchange: arena.bytes(exchange), routing_key: arena.bytes(routingKey),
                    nowait: 0, arguments: arena.table(arguments)
                )
                return amqp_send_method(state, channel, AMQPMethodID.queueBind, &method)
            case .unbindQueue(let queue, let exchange, let routingKey, let arguments):
                var method = amqp_queue_unbind_t(
                    ticket: 0, queue: arena.bytes(queue), exchange: arena.bytes(exchange), routing_key: arena.bytes(routingKey),
                    arguments: arena.table(arguments)
                )
                return amqp_send_method(state, channel, AMQPMethodID.queueUnbind, &method)
            case .deleteQueue(let name, let ifUnused, let ifEmpty):
                var method = amqp_queue_delete_t(ticket: 0, queue: arena.bytes(name), if_unused: ifUnused ? 1 : 0, if_empty: ifEmpty ? 1 : 0, nowait: 0)
                return amqp_send_method(state, channel, AMQPMethodID.queueDelete, &method)
            case .purgeQueue(let name):
                var method = amqp_queue_purge_t(ticket: 0, queue: arena.bytes(name), nowait: 0)
                return amqp_send_method(state, channel, AMQPMethodID.queuePurge, &method)
            case .qos(let prefetchCount, let global):
                var method = amqp_basic_qos_t(prefetch_size: 0, prefetch_count: prefetchCount, global: global ? 1 : 0)
                return amqp_send_method(state, channel, AMQPMethodID.basicQos, &method)
            case .confirmSelect:
                var method = amqp_confirm_select_t(nowait: 0)
                return amqp_send_method(state, channel, AMQPMethodID.confirmSelect, &method)
            case .consume(let queue, let tag, let noAck, let exclusive, let arguments):
                var method = amqp_basic_consume_t(
                    ticket: 0, queue: arena.bytes(queue), consumer_tag: arena.bytes(tag), no_local: 0, no_ack: noAck ? 1 : 0,
                    exclusive: exclusive ? 1 : 0, nowait: 0, arguments: arena.table(arguments)
                )
                return amqp_send_method(state, channel, AMQPMethodID.basicConsume, &method)
            case .cancel(let tag):
                var method = amqp_basic_cancel_t(consumer_tag: arena.bytes(tag), nowait: 0)
                return amqp_send_method(state, channel, AMQPMethodID.basicCancel, &method)
            case .close:
                var method = amqp_channel_close_t(reply_code: UInt16(AMQP_REPLY_SUCCESS), reply_text: arena.bytes("closed by the client"), class_id: 0, method_id: 0)
                return amqp_send_method(state, channel, AMQPMethodID.channelClose, &method)
            }
        }
        record.pendingReplies.append(.init(expected: operation.expectedReply, completion: completion))
        if case .restore(_, true) = completion { replayPending += 1 }
    }

    /// Runs `encode` with a fresh arena and turns a failed send into a lost connection.
    private func send(_ method: UInt32, on channel: UInt16, _ encode: (CArena) -> Int32) throws(Exit) {
        arena.reset()
        defer { arena.reset() }
        try check(encode(arena))
    }

    private func check(_ status: Int32) throws(Exit) {
        guard status == AMQP_STATUS_OK.rawValue else { throw .lost(Self.errorString(status)) }
    }

    // MARK: Completions

    private func complete(_ completion: ChannelRecord.Completion, on record: ChannelRecord, with result: Result<OperationReply, AMQPError>) {
        switch completion {
        case .openChannel(let continuation):
            switch result {
            case .success:
                shared.setChannel(record.id, generation: record.generation, windowLimit: nil)
                continuation.resume(returning: record.id)
            case .failure(let error):
                channels.removeValue(forKey: record.id)
                continuation.resume(throwing: error)
            }
        case .caller(let operation, let continuation, let consumer):
            switch result {
            case .success(let reply):
                recordSuccess(of: operation, on: record, consumer: consumer)
                continuation.resume(returning: reply)
            case .failure(let error):
                consumer?.finish()
                continuation.resume(throwing: error)
            }
        case .restore(let step, let countsForReplay):
            if case .failure(let error) = result, case .connectionLost = error {
                // The whole restore starts over after the next reconnect.
            } else if case .failure(let error) = result {
                logger.warning("AMQP could not restore state", metadata: ["step": "\(step)", "error": "\(error)"])
            }
            if countsForReplay && replaying {
                replayPending -= 1
                if case .success = result, replayPending == 0 {
                    do throws(Exit) {
                        try replayStepDone()
                    } catch {
                let reason = error.reason
                        pendingLoss = reason
                    }
                }
            }
        }
    }

    /// A loss noticed where it cannot be thrown; raised by the next ``check(_:)`` of the loop.
    private var pendingLoss: String?

    /// Keeps what a successful operation changed, for replay and for the caller-side state.
    private func recordSuccess(of operation: ChannelOperation, on record: ChannelRecord, consumer: AsyncStream<AMQPDelivery>.Continuation?) {
        switch operation {
        case .declareExchange, .declareQueue, .bindQueue:
            if !topology.contains(where: { $0.operation == operation }) {
                topology.append((record.id, operation))
            }
        case .deleteExchange(let name, _):
            topology.removeAll { entry in
                switch entry.operation {
                case .declareExchange(let n, _, _, _, _, _): n == name
                case .bindQueue(_, let exchange, _, _): exchange == name
                default: false
                }
            }
        case .deleteQueue(let name, _, _):
            topology.removeAll { entry in
                switch entry.operation {
                case .declareQueue(let n, _, _, _, _): n == name
                case .bindQueue(let queue, _, _, _): queue == name
                default: false
                }
            }
        case .unbindQueue(let queue, let exchange, let routingKey, let arguments):
            topology.removeAll { $0.operation == .bindQueue(queue: queue, exchange: exchange, routingKey: routingKey, arguments: arguments) }
        case .qos(let count, let global):
            record.prefetch = (count, global)
        case .confirmSelect(let window):
            record.confirmWindow = window
            shared.setChannel(record.id, generation: record.generation, windowLimit: window)
        case .consume(let queue, let tag, let noAck, let exclusive, let arguments):
            if let consumer {
                record.consumers[tag] = .init(queue: queue, noAck: noAck, exclusive: exclusive, arguments: arguments, stream: consumer)
                record.consumerOrder.append(tag)
            }
        case .cancel(let tag):
            record.removeConsumer(tag)?.stream.finish()
        case .close:
            forget(record, error: .channelNotOpen)
        case .purgeQueue:
            break
        }
    }

    /// Drops a channel for good (closed by the caller).
    private func forget(_ record: ChannelRecord, error: AMQPError) {
        failInFlight(on: record, rpcError: error, confirmReason: "channel closed")
        for tag in record.consumerOrder { record.consumers[tag]?.stream.finish() }
        record.consumers.removeAll()
        record.consumerOrder.removeAll()
        channels.removeValue(forKey: record.id)
        shared.removeChannel(record.id, error: error)
    }

    private func settleConfirms(on record: ChannelRecord, tag: UInt64, multiple: Bool, ack: Bool) {
        let settled = record.tracker.settle(tag: tag, multiple: multiple, ack: ack) { _, waiter, outcome in
            switch outcome {
            case .acked:
                waiter?.resume()
            case .nacked:
                if let waiter { waiter.resume(throwing: AMQPError.publishNacked) } else { record.nackedSinceWait += 1 }
            case .returned(let code, let text):
                if let waiter {
                    waiter.resume(throwing: AMQPError.publishReturned(replyCode: code, replyText: text))
                } else {
                    record.nackedSinceWait += 1
                }
            }
        }
        shared.releaseWindow(channel: record.id, count: settled)
        resolveConfirmWaiters(on: record, all: false)
    }

    /// Resumes `waitForConfirms` callers whose publishes are all settled (or all of them, after a loss).
    private func resolveConfirmWaiters(on record: ChannelRecord, all: Bool) {
        guard !record.confirmWaiters.isEmpty else { return }
        let ready = record.confirmWaiters.filter { all || record.tracker.isSettled(through: $0.through) }
        guard !ready.isEmpty else { return }
        record.confirmWaiters.removeAll { all || record.tracker.isSettled(through: $0.through) }
        let nacked = record.nackedSinceWait
        let unconfirmed = record.unconfirmedSinceWait
        record.nackedSinceWait = 0
        record.unconfirmedSinceWait = 0
        for waiter in ready {
            if nacked == 0 && unconfirmed == 0 {
                waiter.continuation.resume()
            } else {
                waiter.continuation.resume(throwing: AMQPError.publishesNotConfirmed(nacked: nacked, unconfirmed: unconfirmed))
            }
        }
    }

    private func completeIncoming(on record: ChannelRecord) throws(Exit) {
        guard let incoming = record.incoming else { return }
        record.incoming = nil
        switch incoming.kind {
        case .deliver(let consumerTag, let deliveryTag, let redelivered):
            if let consumer = record.consumers[consumerTag] {
                consumer.stream.yield(AMQPDelivery(
                    body: incoming.body, exchange: incoming.exchange, routingKey: incoming.routingKey, redelivered: redelivered,
                    deliveryTag: deliveryTag, consumerTag: consumerTag, properties: incoming.properties,
                    channelID: record.id, channelGeneration: record.generation
                ))
            } else {
                // Cancelled meanwhile: hand the message straight back.
                try check(amqp_basic_reject(state, record.id, deliveryTag, 1))
            }
        case .returned(let code, let text):
            let matched = incoming.properties.messageID.map {
                record.tracker.recordReturn(messageID: $0, replyCode: code, replyText: text)
            } ?? false
            if !matched {
                logger.warning("AMQP unroutable mandatory message returned", metadata: [
                    "exchange": "\(incoming.exchange)", "routingKey": "\(incoming.routingKey)", "reply": "\(code) \(text)",
                ])
            }
        }
    }

    // MARK: Helpers

    private func nextGeneration() -> UInt64 {
        generationCounter += 1
        return generationCounter
    }

    private func allocateChannelID() -> UInt16? {
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
