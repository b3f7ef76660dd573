import AMQP
import Coordinator
import FleetModel
import Foundation
import Messaging
import Postgres
import Storage
import Testing
import TestSupport

/// Dispatch against the real broker and database: one fresh database and topology per test.
@Suite(.serialized) struct DispatchTests {
    @Test func submitStoresTheTaskAndAllTilesInOneTransactionAndDispatches() async throws {
        let h = try await Harness.make(maxActive: 4)
        do {
            let plan = try await h.submit(TaskFixtures.spec(id: "stored"))
            let total = plan.records.count
            #expect(total >= 12)
            #expect(try await h.count("SELECT count(*) FROM tasks WHERE id = 'stored'") == 1)
            #expect(try await h.count("SELECT count(*) FROM tiles WHERE task_id = 'stored' AND status = 'pending' AND geometry IS NOT NULL") == total)
            let specText = try await h.db.connection.query("SELECT spec::text FROM tasks")[0].decode(String.self, at: 0)
            #expect(!specText.lowercased().contains("password"))

            let outcome = try await h.dispatcher().dispatch(backend: "sim", maxActive: 4)
            #expect(outcome.total == 4)
            #expect(try await h.count("SELECT count(*) FROM tiles WHERE status = 'queued' AND dispatched_at IS NOT NULL") == 4)
            #expect(try await h.count("SELECT count(*) FROM tiles WHERE status = 'pending'") == total - 4)
            let items = try await h.takeWorkItems(4)
            #expect(items.count == 4)
            #expect(items.allSatisfy { $0.kind == .submit && $0.task == "stored" && $0.attempt == 1 && $0.backend == "sim" })
            #expect(items.allSatisfy { $0.job.process == .named(id: "test-process", namespace: nil) && $0.job.arguments["spatial_extent"] != nil })
            #expect(Set(items.map(\.idempotencyKey)).count == 4)

            // A second pass with no free slot publishes nothing.
            #expect(try await h.dispatcher().dispatch(backend: "sim", maxActive: 4).total == 0)
        } catch {
            await h.tearDown()
            throw error
        }
        await h.tearDown()
    }

    @Test func aJobAWorkerSawFinishFreesItsSlotOnceBeforeTheRecorderStoresIt() async throws {
        let h = try await Harness.make(maxActive: 2)
        do {
            _ = try await h.submit(TaskFixtures.spec(id: "ahead"))
            let dispatcher = try await h.dispatcher()
            #expect(try await dispatcher.dispatch(backend: "sim", maxActive: 2).total == 2)
            let tile = try #require(try await h.takeWorkItems(2).first).tile
            func ended(attempt: Int = 1, status: EventStatus = .finished, backend: String = "sim") -> StatusEvent {
                StatusEvent(task: "ahead", tile: tile, attempt: attempt, status: status, backend: backend)
            }
            // Not an end, or not this tile's attempt in flight on this backend: nothing frees.
            #expect(await dispatcher.noteEnded(ended(status: .running)) == false)
            #expect(await dispatcher.noteEnded(ended(attempt: 2)))
            #expect(await dispatcher.noteEnded(ended(backend: "other")))
            #expect(try await dispatcher.dispatch(backend: "sim", maxActive: 2).total == 0)

            // Its job finished: the slot frees though the database still counts the tile in flight.
            #expect(await dispatcher.noteEnded(ended()))
            #expect(try await dispatcher.dispatch(backend: "sim", maxActive: 2).total == 1)
            #expect(try await h.count("SELECT count(*) FROM tiles WHERE task_id = 'ahead' AND status = 'queued'") == 3)
            // Once, however many passes follow, and a redelivered event frees nothing more.
            #expect(try await dispatcher.dispatch(backend: "sim", maxActive: 2).total == 0)
            #expect(await dispatcher.noteEnded(ended()) == false)
            #expect(try await dispatcher.dispatch(backend: "sim", maxActive: 2).total == 0)
            // Another coordinator that did not see the event counts as the database has it.
            #expect(try await h.dispatcher().dispatch(backend: "sim", maxActive: 2).total == 0)

            // The recorder stores it: the note is dropped, the count is the database's, nothing is freed twice.
            try await h.apply([ended()])
            #expect(try await dispatcher.dispatch(backend: "sim", maxActive: 2).total == 0)
            #expect(try await h.count("SELECT count(*) FROM tiles WHERE task_id = 'ahead' AND status = 'queued'") == 2)
            // Seen again after it was stored (a late copy): still nothing.
            #expect(await dispatcher.noteEnded(ended()))
            #expect(try await dispatcher.dispatch(backend: "sim", maxActive: 2).total == 0)
        } catch {
            await h.tearDown()
            throw error
        }
        await h.tearDown()
    }

    @Test func aBudgetHoldsBackTilesUntilItIsRaised() async throws {
        let h = try await Harness.make(maxActive: 10)
        do {
            let plan = try await h.submit(TaskFixtures.spec(id: "capped") + "\nbudget: 30")
            #expect(plan.records.count >= 12)
            #expect(try await h.count("SELECT count(*) FROM tasks WHERE budget = 30") == 1)
            // No cost known yet: one tile probes.
            #expect(try await h.dispatcher().dispatch(backend: "sim", maxActive: 10).total == 1)
            #expect(try await h.dispatcher().dispatch(backend: "sim", maxActive: 10).total == 0)
            let probe = try #require(try await h.takeWorkItems(1).first)
            var finished = StatusEvent(task: "capped", tile: probe.tile, attempt: 1, status: .finished, backend: "sim", time: Date())
            finished.costs = 10
            try await EventStore(connection: h.db.connection).apply([finished])
            // 10 spent at 10 a tile: two more fit within 30, no more while they are in flight.
            #expect(try await h.dispatcher().dispatch(backend: "sim", maxActive: 10).total == 2)
            #expect(try await h.dispatcher().dispatch(backend: "sim", maxActive: 10).total == 0)
            #expect(try await h.store.summaries(task: "capped").first?.budgetState == .paused)
            // Raising the budget resumes dispatch: 60 fits 5 tiles at 10, 2 are in flight.
            try await h.store.setBudget(task: "capped", to: 60)
            #expect(try await h.dispatcher().dispatch(backend: "sim", maxActive: 10).total == 3)
            #expect(try await h.count("SELECT count(*) FROM tiles WHERE status = 'queued'") == 5)
        } catch {
            await h.tearDown()
            throw error
        }
        await h.tearDown()
    }

    @Test func aSamplingTaskDispatchesItsSampleTilesOnlyThenNoneUntilReleased() async throws {
        let h = try await Harness.make(maxActive: 10)
        do {
            let spec = try TaskSpecParser(configuration: h.configuration).parse(TaskFixtures.spec(id: "sampled"), file: "t.yaml")
            let plan = try TaskPlan(spec: spec)
            let sample = plan.estimateSample(.count(3))
            try await h.store.insert(plan, sample: sample)
            let chosen = Set(sample.indices.map { plan.records[$0].tileID })
            #expect(try await h.dispatcher().dispatch(backend: "sim", maxActive: 10).total == 3)
            #expect(Set(try await h.takeWorkItems(3).map(\.tile)) == chosen)
            // The sample is out: the pass finds no pending sample tile, however many others wait.
            #expect(try await h.dispatcher().dispatch(backend: "sim", maxActive: 10).total == 0)
            #expect(try await h.dispatcher().dispatchAll(maxActive: ["sim": 10]).reduce(0) { $0 + $1.total } == 0)
            #expect(try await h.store.releaseSample(task: "sampled"))
            #expect(try await h.dispatcher().dispatch(backend: "sim", maxActive: 10).total == 7)
            #expect(try await h.count("SELECT count(*) FROM tiles WHERE status = 'pending'") == plan.records.count - 10)
        } catch {
            await h.tearDown()
            throw error
        }
        await h.tearDown()
    }

    @Test func aFailingInsertStoresNothing() async throws {
        let h = try await Harness.make()
        do {
            let spec = try TaskSpecParser(configuration: h.configuration).parse(TaskFixtures.spec(id: "dup"), file: "t.yaml")
            var plan = try TaskPlan(spec: spec)
            plan.records.append(plan.records[0])   // a duplicate tile id makes the COPY fail halfway
            await #expect(throws: (any Error).self) { try await h.store.insert(plan) }
            #expect(try await h.count("SELECT count(*) FROM tasks") == 0)
            #expect(try await h.count("SELECT count(*) FROM tiles") == 0)

            plan.records.removeLast()
            try await h.store.insert(plan)
            await #expect(throws: TaskStoreError.self) { try await h.store.insert(plan) }
            #expect(try await h.count("SELECT count(*) FROM tasks") == 1)
        } catch {
            await h.tearDown()
            throw error
        }
        await h.tearDown()
    }

    @Test func maxActiveIsNeverExceededByConcurrentDispatchers() async throws {
        let maxActive = 5
        let h = try await Harness.make(maxActive: maxActive)
        do {
            var total = 0
            for (index, priority) in [0, 0, 3].enumerated() {
                total += try await h.submit(TaskFixtures.spec(id: "load-\(index)", columns: 5, rows: 4, priority: priority)).records.count
            }
            let dispatchers = try await (0..<4).asyncMap { _ in try await h.dispatcher() }
            let done = Flag()
            let observedMax = Maximum()

            // Workers: move in-flight tiles forward a random step at a time, as events through the recorder's store.
            let workers = Task {
                let db = try await PostgresConnection.connect(to: h.db.url)
                let store = EventStore(connection: db)
                while !done.value {
                    let rows = try await db.query("SELECT task_id, tile_id, attempt, status FROM tiles WHERE status IN ('queued','submitted','running')")
                    var events: [StatusEvent] = []
                    for row in rows where Bool.random() {
                        let (task, tile, attempt, status) = (try row.decode(String.self, at: 0), try row.decode(String.self, at: 1),
                                                              try row.decode(Int.self, at: 2), try row.decode(String.self, at: 3))
                        let next: EventStatus = status == "queued" ? .submitted : status == "submitted" ? .running : .finished
                        events.append(StatusEvent(task: task, tile: tile, attempt: attempt, status: next, backend: "sim", backendJobID: "job-\(tile)"))
                    }
                    if !events.isEmpty { try await store.apply(events) }
                    try await Task.sleep(for: .milliseconds(Int.random(in: 2...15)))
                }
                await db.close()
            }
            // A sampler counting in PostgreSQL, independently of the dispatchers.
            let sampler = Task {
                let db = try await PostgresConnection.connect(to: h.db.url)
                while !done.value {
                    let active = try await db.query("SELECT count(*) FROM tiles WHERE backend = 'sim' AND status IN ('queued','submitted','running')")[0].decode(Int.self, at: 0)
                    observedMax.record(active)
                }
                await db.close()
            }
            let passes = dispatchers.map { dispatcher in
                Task {
                    var afterPasses = 0
                    while !done.value {
                        let outcome = try await dispatcher.dispatch(backend: "sim", maxActive: maxActive)
                        afterPasses = max(afterPasses, outcome.activeBefore + outcome.total)
                        try await Task.sleep(for: .milliseconds(Int.random(in: 0...5)))
                    }
                    return afterPasses
                }
            }
            let deadline = ContinuousClock.now + .seconds(120)
            while try await h.count("SELECT count(*) FROM tiles WHERE status = 'finished'") < total, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            done.set()
            var claimedMax = 0
            for pass in passes { claimedMax = max(claimedMax, try await pass.value) }
            try await workers.value
            try await sampler.value

            #expect(try await h.count("SELECT count(*) FROM tiles WHERE status = 'finished'") == total)
            #expect(claimedMax <= maxActive)
            #expect(observedMax.value <= maxActive)
            #expect(observedMax.value >= 1)
            // Every tile was published exactly once.
            #expect(try await h.queuedMessages() == total)
            let items = try await h.takeWorkItems(total)
            #expect(Set(items.map(\.idempotencyKey)).count == total)
        } catch {
            await h.tearDown()
            throw error
        }
        await h.tearDown()
    }

    @Test func tasksOnOneBackendShareItFairly() async throws {
        let h = try await Harness.make(maxActive: 6)
        do {
            try await h.submit(TaskFixtures.spec(id: "first"))
            try await h.submit(TaskFixtures.spec(id: "second"))
            let outcome = try await h.dispatcher().dispatch(backend: "sim", maxActive: 6)
            #expect(outcome.published == ["first": 3, "second": 3])
        } catch {
            await h.tearDown()
            throw error
        }
        await h.tearDown()
    }
}

/// A thread-safe flag and maximum for the concurrent test.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var raised = false
    var value: Bool { lock.withLock { raised } }
    func set() { lock.withLock { raised = true } }
}

final class Maximum: @unchecked Sendable {
    private let lock = NSLock()
    private var maximum = 0
    var value: Int { lock.withLock { maximum } }
    func record(_ value: Int) { lock.withLock { maximum = max(maximum, value) } }
}

extension Sequence where Element: Sendable {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async throws -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
