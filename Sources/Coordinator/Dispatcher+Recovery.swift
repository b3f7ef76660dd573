import AMQP
import FleetModel
import Foundation
import Messaging
import Storage

extension Dispatcher {
    /// What one recovery pass republished.
    public struct RecoveryOutcome: Sendable, Hashable {
        /// Tiles with a known backend job: a `poll` item.
        public var polls: Int
        /// Tiles whose job is not known: a `submit` that looks the job up first.
        public var submits: Int

        public init(polls: Int = 0, submits: Int = 0) {
            self.polls = polls
            self.submits = submits
        }

        public var total: Int { polls + submits }
    }

    /// Sends the recorder a tick stamped with the database's clock (the clock of `item_at`, so a
    /// tile just republished is never silent before the watermark): once it is applied, the
    /// watermark says the recorder has stored everything published before it.
    public func sendTick() async throws {
        let now = try await store.now()
        let body = FleetTick(time: now).encoded()
        let properties = AMQPProperties(contentType: "application/json", deliveryMode: .persistent)
        try await channel.publish(body, exchange: topology.eventsExchange, routingKey: FleetTick.routingKey,
                                  properties: signing.tagged(properties, body: body, purpose: .events))
        try await channel.waitForConfirms()
    }

    /// Republishes the tiles in flight whose items were lost: those silent — no heartbeat, event or
    /// item — for longer than their backend's `silence` before the recorder's watermark. By then
    /// every lease of their old items has run out and a submit begun under one has landed, so the
    /// new item is the only one that can act: a `poll` when the job is known and was started, else
    /// a `submit` marked `may_exist` that looks the job up by idempotency key first (and starts a
    /// job still waiting to be: a parked tile taken up whose item was lost). Parked tiles are the
    /// dispatch passes' (``dispatch(backend:maxActive:effectiveLimit:offers:)``), not this pass's. The tiles are marked in
    /// a committed transaction before the items go out, so a pass that dies in between is taken
    /// up by a later one, again only once the new lease has run out.
    public func recover(silence: [String: Duration], task: String? = nil, limit: Int = 1000) async throws -> RecoveryOutcome {
        let items = try await store.fencedTransaction("the recovery pass") { transaction in
            var items: [WorkItem] = []
            for silent in try await transaction.claimSilentTiles(silence: silence, task: task, limit: limit) {
                let spec = try await spec(of: silent.task, in: transaction)
                let job = spec.backendJob(tileID: silent.tile, tileParameters: silent.parameters, backend: silent.backend)
                let startKnown = silent.backendJobID != nil && !silent.queued
                var item = WorkItem(kind: startKnown ? .poll : .submit, task: silent.task, tile: silent.tile,
                                    attempt: silent.attempt, maxAttempts: spec.maxAttempts, backend: silent.backend, job: job,
                                    backendJobID: silent.backendJobID, maxRuntimeSeconds: spec.maxRuntimeSeconds,
                                    mayExist: startKnown ? nil : true,
                                    leaseUntil: silent.itemAt.addingTimeInterval(lease.inSeconds), aliveAt: silent.itemAt)
                item.retryElsewhere = spec.retryElsewhere
                items.append(item)
            }
            return items
        }
        try await publish(items)
        let polls = items.filter { $0.kind == .poll }.count
        return RecoveryOutcome(polls: polls, submits: items.count - polls)
    }
}
