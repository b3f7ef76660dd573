import AMQP
import Coordinator
import FleetModel
import Foundation
import Messaging
import Postgres
import Storage
import Testing
import TestSupport

/// Parked tiles (their start refused with "try later") against the real broker and database: they
/// count against `max_active` but not the effective limit, the dispatch pass takes them up first —
/// same attempt, with their job, as a submit that looks the job up — only when the tiles in flight
/// that are not parked are fewer than the effective limit, and the recovery pass leaves them alone.
@Suite(.serialized) struct ParkingDispatchTests {
    static func parked(_ item: WorkItem, job: String) -> StatusEvent {
        var event = StatusEvent(task: item.task, tile: item.tile, attempt: item.attempt, status: .queued, backend: item.backend,
                                backendJobID: job, message: "refused for now", time: Date())
        event.parked = true
        return event
    }

    @Test func parkedTilesWaitForASlotUnderTheEffectiveLimitAndAreTakenUpFirstWithTheirJob() async throws {
        let h = try await Harness.make(maxActive: 8)
        do {
            let plan = try await h.submit(TaskFixtures.spec(id: "parking"))
            let total = plan.records.count
            let dispatcher = try await h.dispatcher(lease: .seconds(1))
            #expect(try await dispatcher.dispatch(backend: "sim", maxActive: 8, effectiveLimit: 5).total == 5)
            let items = try await h.takeWorkItems(5).sorted { $0.tile < $1.tile }
            #expect(items.count == 5)
            // The platform took two; it refused to start three, which the workers parked.
            try await h.apply(items[0..<2].map { StatusEvent(task: $0.task, tile: $0.tile, attempt: 1, status: .submitted, backend: "sim",
                                                             backendJobID: "j-\($0.tile)", time: Date()) })
            try await h.apply(items[2..<5].map { Self.parked($0, job: "j-\($0.tile)") })
            #expect(try await h.count("SELECT count(*) FROM tiles WHERE parked_at IS NOT NULL AND status = 'queued'") == 3)

            // Effective limit 2, held by the two accepted: nothing parked is taken up, and no pending
            // tile goes out although max_active has room.
            #expect(try await dispatcher.dispatch(backend: "sim", maxActive: 8, effectiveLimit: 2).total == 0)
            #expect(try await h.count("SELECT count(*) FROM tiles WHERE status = 'pending'") == total - 5)

            // One accepted job finishes: one parked tile is taken up, the longest parked, and no pending one.
            try await h.apply([StatusEvent(task: "parking", tile: items[0].tile, attempt: 1, status: .finished, backend: "sim",
                                           backendJobID: "j-\(items[0].tile)", time: Date())])
            let outcome = try await dispatcher.dispatch(backend: "sim", maxActive: 8, effectiveLimit: 2)
            #expect(outcome.total == 1)
            #expect(outcome.unparked == 1)
            #expect(try await h.count("SELECT count(*) FROM tiles WHERE status = 'pending'") == total - 5)
            let resumed = try #require(try await h.takeWorkItems(1).first)
            #expect(resumed.kind == .submit)
            #expect(resumed.attempt == 1, "the same attempt: no second job")
            #expect(resumed.backendJobID == "j-\(resumed.tile)")
            #expect(resumed.mayExist == true, "it looks its job up (and starts it) before any submit")
            #expect(items[2..<5].map(\.tile).contains(resumed.tile))
            #expect(try await h.count("SELECT count(*) FROM tiles WHERE parked_at IS NOT NULL") == 2)

            // Parked tiles count against max_active: at 4, the 4 in flight (2 parked) leave the
            // effective limit room for the 2 parked, and no slot for a pending tile.
            let wide = try await dispatcher.dispatch(backend: "sim", maxActive: 4, effectiveLimit: 4)
            #expect(wide.unparked == 2, "parked tiles first")
            #expect(wide.total == 2, "4 in flight at most: no pending tile beside them")
            #expect(try await h.count("SELECT count(*) FROM tiles WHERE status = 'pending'") == total - 5)
            _ = try await h.takeWorkItems(2)

            // Recovery leaves parked tiles to the dispatcher, and a taken-up tile whose item was lost
            // comes back as a submit that looks its job up, never as a poll of a job not started.
            try await h.apply([Self.parked(resumed, job: "j-\(resumed.tile)")])
            _ = try await h.channel.purgeQueue(h.topology.workQueue(backend: "sim"))
            try await h.age(.seconds(3600))
            try await h.applyTick(Date())
            let recovered = try await dispatcher.recover(silence: ["sim": .seconds(2)])
            #expect(recovered == Dispatcher.RecoveryOutcome(polls: 1, submits: 2), "the parked tile is not republished")
            let republished = try await h.takeWorkItems(3)
            #expect(republished.filter { $0.kind == .submit }.allSatisfy { $0.mayExist == true })
            #expect(!republished.contains { $0.tile == resumed.tile })
        } catch {
            await h.tearDown()
            throw error
        }
        await h.tearDown()
    }
}
