@preconcurrency import CRabbitMQ
import Logging

/// Carrying out caller commands and completing them when their replies arrive.
extension ConnectionDriver {
    func execute(_ command: Command) throws(Exit) {
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
                consumer?.finish(.channelClosed)
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
            if let continuation { closeWaiters.append(continuation) }
            _ = machine.closeRequested()
        }
    }

    func publish(_ request: PublishRequest) throws(Exit) {
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
        if record.confirmWindow == nil {
            // Not tracked for a confirm: settled here, sent or not.
            if status == AMQP_STATUS_OK.rawValue {
                request.confirmation?.resume()
            } else {
                request.confirmation?.resume(throwing: AMQPError.publishUnconfirmed(reason: Self.errorString(status)))
            }
        }
        try check(status)
    }

    func complete(_ completion: ChannelRecord.Completion, on record: ChannelRecord, with result: Result<OperationReply, AMQPError>) {
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
                consumer?.finish(.channelClosed)
                continuation.resume(throwing: error)
            }
        case .restore(let step, let countsForReplay):
            let outcome: ConnectionStateMachine.Action
            switch result {
            case .success:
                outcome = countsForReplay ? machine.replayStepSucceeded() : .none
            case .failure(.connectionLost):
                // The whole restore starts over after the next reconnect.
                outcome = countsForReplay ? machine.replayStepFailed(.connectionLost) : .none
            case .failure(let error):
                logger.warning("AMQP could not restore state", metadata: ["step": "\(step)", "error": "\(error)"])
                outcome = countsForReplay ? machine.replayStepFailed(.refused("\(error)")) : .none
            }
            continueReplay(outcome)
        }
    }

    /// Keeps what a successful operation changed, for replay and for the caller-side state.
    func recordSuccess(of operation: ChannelOperation, on record: ChannelRecord, consumer: ConsumerStream?) {
        switch operation {
        case .declareExchange, .declareQueue, .bindQueue, .deleteExchange, .deleteQueue, .unbindQueue:
            topology.apply(operation, on: record.id)
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
            record.removeConsumer(tag)?.stream.finish(.cancelledByClient)
        case .close:
            forget(record, error: .channelNotOpen)
        case .purgeQueue:
            break
        }
    }

    /// Drops a channel for good (closed by the caller).
    func forget(_ record: ChannelRecord, error: AMQPError) {
        failInFlight(on: record, rpcError: error, confirmReason: "channel closed")
        for tag in record.consumerOrder { record.consumers[tag]?.stream.finish(.channelClosed) }
        record.consumers.removeAll()
        record.consumerOrder.removeAll()
        channels.removeValue(forKey: record.id)
        shared.removeChannel(record.id, error: error)
    }
}
