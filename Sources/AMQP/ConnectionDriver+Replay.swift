@preconcurrency import CRabbitMQ
import Logging

/// Restoring channels: after a reconnect (replay, driven by ``ConnectionStateMachine``) and after the
/// broker closed one channel.
extension ConnectionDriver {
    /// Carries out a replay action of the state machine. A lost connection is thrown.
    func performReplay(_ action: ConnectionStateMachine.Action) throws(Exit) {
        switch action {
        case .none:
            break
        case .startReplay:
            try startReplay()
        case .restoreConsumers:
            try restoreConsumers()
        case .markReconnected(let attempt, let failedSteps):
            shared.setStatus(.open)
            reconnects.increment()
            logger.info("AMQP reconnected", metadata: ["attempt": "\(attempt)", "failedSteps": "\(failedSteps)"])
            shared.emit(.reconnected(attempt: attempt))
        case .markOpen, .failInFlight, .reportFailedAttempt, .scheduleReconnect, .giveUp, .shutdown:
            assertionFailure("not a replay action: \(action)")
        }
    }

    /// Carries out a replay action decided while completing a reply, where a lost connection cannot
    /// be thrown: the loss is noted and raised at the top of the loop.
    func continueReplay(_ action: ConnectionStateMachine.Action) {
        guard action != .none else { return }
        do throws(Exit) {
            try performReplay(action)
        } catch {
            machine.lossNoticed(reason: error.reason)
        }
    }

    /// Reopens every channel and redeclares the recorded topology, counting each step for the state
    /// machine, which asks for consumers once all are answered.
    func startReplay() throws(Exit) {
        let ids = channels.keys.sorted()
        for id in ids {
            let record = channels[id]!
            record.generation = nextGeneration()
            shared.setChannel(id, generation: record.generation, windowLimit: record.confirmWindow)
            try reopen(record, countsForReplay: true)
        }
        if let fallback = ids.first {
            for entry in topology.entries {
                let record = channels[entry.channel] ?? channels[fallback]!
                try send(entry.operation, on: record, completion: .restore(.topology(entry.operation), countsForReplay: true))
                machine.replayStepSent()
            }
        }
        try performReplay(machine.replaySent())
    }

    /// Restarts every consumer, counting each; the state machine marks the connection open once all
    /// are answered.
    func restoreConsumers() throws(Exit) {
        for id in channels.keys.sorted() {
            let record = channels[id]!
            for tag in record.consumerOrder {
                guard let consumer = record.consumers[tag] else { continue }
                try send(consume(tag, consumer), on: record, completion: .restore(.consume(tag: tag, queue: consumer.queue), countsForReplay: true))
                machine.replayStepSent()
            }
        }
        try performReplay(machine.replaySent())
    }

    /// Sends channel.open and the channel's prefetch and confirm mode.
    func reopen(_ record: ChannelRecord, countsForReplay: Bool) throws(Exit) {
        try sendChannelOpen(record, completion: .restore(.channelOpen, countsForReplay: countsForReplay))
        if countsForReplay { machine.replayStepSent() }
        if let prefetch = record.prefetch {
            try send(.qos(prefetchCount: prefetch.count, global: prefetch.global), on: record,
                     completion: .restore(.qos, countsForReplay: countsForReplay))
            if countsForReplay { machine.replayStepSent() }
        }
        if let window = record.confirmWindow {
            try send(.confirmSelect(window: window), on: record, completion: .restore(.confirmSelect, countsForReplay: countsForReplay))
            if countsForReplay { machine.replayStepSent() }
        }
    }

    /// The broker closed a channel (an error such as 404 or 406) because of `failedMethod`:
    /// acknowledge, fail what was in flight on it, and reopen it with its prefetch, confirms and
    /// consumers, unless the caller was closing it anyway.
    ///
    /// The refused method is the oldest pending one (the broker answers in order). During a replay,
    /// the topology and consumer steps sent after it were discarded by the broker, not refused: they
    /// are sent again on the reopened channel and still count for the replay. A consumer whose
    /// restore was refused (its queue is gone) is dropped and its stream finishes, as when the broker
    /// cancels it; restarting it would only close the channel again.
    func channelClosedByBroker(_ record: ChannelRecord, code: UInt16, text: String, failedMethod: UInt32) throws(Exit) {
        logger.warning("AMQP channel closed by the broker", metadata: ["channel": "\(record.id)", "code": "\(code)", "text": "\(text)"])
        var closeOK = amqp_channel_close_ok_t(dummy: 0)
        try check(amqp_send_method(state, record.id, AMQPMethodID.channelCloseOK, &closeOK))
        let error = AMQPError.channelClosed(replyCode: code, replyText: text)

        var failed = record.pendingReplies
        record.pendingReplies.removeAll()
        var discarded: [ChannelRecord.PendingReply] = []
        if let refused = failed.first, refused.expected == failedMethod &+ 1 {
            if case .restore(.consume(let tag, let queue), _) = refused.completion {
                logger.warning("AMQP consumer could not be restored and is dropped", metadata: ["consumer": "\(tag)", "queue": "\(queue)"])
                record.removeConsumer(tag)?.stream.finish(.cancelledByBroker)
            }
            if !record.closing {
                discarded = failed.dropFirst().filter(\.isResentAfterChannelClose)
                failed = [refused] + failed.dropFirst().filter { !$0.isResentAfterChannelClose }
            }
        }
        failInFlight(on: record, rpcError: error, confirmReason: "channel closed: \(code) \(text)")
        if record.closing {
            for reply in failed { complete(reply.completion, on: record, with: .failure(error)) }
            forget(record, error: .channelNotOpen)
            return
        }
        record.generation = nextGeneration()
        shared.setChannel(record.id, generation: record.generation, windowLimit: record.confirmWindow)
        var unsent = discarded[...]
        do throws(Exit) {
            try reopen(record, countsForReplay: false)
            if machine.restoresConsumersOnReopen {
                let resent = Set(discarded.compactMap(\.consumerTag))
                for tag in record.consumerOrder where !resent.contains(tag) {
                    guard let consumer = record.consumers[tag] else { continue }
                    try send(consume(tag, consumer), on: record, completion: .restore(.consume(tag: tag, queue: consumer.queue), countsForReplay: false))
                }
            }
            while let reply = unsent.popFirst() {
                try resend(reply, on: record, error: error)
            }
        } catch {
            // Lost meanwhile: the loss handling fails these with everything else in flight (a step
            // whose send failed is already pending again).
            record.pendingReplies += failed + unsent
            throw error
        }
        // Completed only now, so that a replay moving on to consumers sends them after the reopen.
        for reply in failed { complete(reply.completion, on: record, with: .failure(error)) }
    }

    /// Sends a replay step the broker discarded again, with its completion (it still counts).
    func resend(_ reply: ChannelRecord.PendingReply, on record: ChannelRecord, error: AMQPError) throws(Exit) {
        guard case .restore(let step, _) = reply.completion else { return }
        switch step {
        case .topology(let operation):
            try send(operation, on: record, completion: reply.completion)
        case .consume(let tag, _):
            guard let consumer = record.consumers[tag] else {
                complete(reply.completion, on: record, with: .failure(error))
                return
            }
            try send(consume(tag, consumer), on: record, completion: reply.completion)
        case .channelOpen, .qos, .confirmSelect:
            complete(reply.completion, on: record, with: .failure(error))
        }
    }

    /// The operation that restarts `consumer`.
    func consume(_ tag: String, _ consumer: ChannelRecord.Consumer) -> ChannelOperation {
        .consume(queue: consumer.queue, tag: tag, noAck: consumer.noAck, exclusive: consumer.exclusive, arguments: consumer.arguments)
    }
}
