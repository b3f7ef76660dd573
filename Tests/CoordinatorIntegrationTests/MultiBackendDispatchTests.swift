import Coordinator
import FleetConfig
import FleetModel
import Foundation
import Messaging
import Storage
import Testing
import TestSupport

/// A task over several backends against the real broker and database: tiles spread over the
/// backends' free slots, each backend's `max_active` exact, retried tiles moving on.
@Suite(.serialized) struct MultiBackendDispatchTests {
    static func configuration(sim: Int, alt: Int) throws -> FleetConfiguration {
        try FleetConfiguration.parse(yaml: """
            topology:
              prefix: test-\(UUID().uuidString.prefix(8))
            defaults:
              backend: sim
            backends:
              - name: sim
                kind: openeo
                url: http://127.0.0.1:8080/openeo
                max_active: \(sim)
              - name: alt
                kind: openeo
                url: http://127.0.0.1:8081/openeo
                max_active: \(alt)
            """, file: "test.yaml", environment: [:])
    }

    static func spec(id: String, backends: String) -> String {
        TaskFixtures.spec(id: id).replacingOccurrences(of: "backend: sim", with: backends)
    }

    @Test func tilesFillTheFreeSlotsOfEveryBackendWithinEachMaxActive() async throws {
        let h = try await Harness.make(configuration: try Self.configuration(sim: 3, alt: 4))
        do {
            let plan = try await h.submit(Self.spec(id: "both", backends: "backends: [sim, {name: alt, job_options: {queue: fast}}]"))
            try await h.submit(TaskFixtures.spec(id: "only-sim"))
            #expect(try await h.count("SELECT count(*) FROM tasks WHERE backends = ARRAY['sim', 'alt']") == 1)
            let limits = ["sim": 3, "alt": 4]
            let outcomes = try await h.dispatcher().dispatchAll(maxActive: limits)
            #expect(outcomes.reduce(0) { $0 + $1.total } == 7)
            #expect(try await h.count("SELECT count(*) FROM tiles WHERE backend = 'sim' AND status = 'queued'") == 3)
            #expect(try await h.count("SELECT count(*) FROM tiles WHERE backend = 'alt' AND status = 'queued'") == 4)
            // Only the task over both backends can use alt.
            #expect(try await h.count("SELECT count(*) FROM tiles WHERE backend = 'alt' AND task_id = 'both' AND status = 'queued'") == 4)
            let onAlt = try await h.takeWorkItems(4, backend: "alt")
            #expect(onAlt.count == 4)
            #expect(onAlt.allSatisfy { $0.backend == "alt" && $0.task == "both" && $0.job.options["queue"] == .string("fast") })
            // Full everywhere: nothing more, however often it runs.
            #expect(try await h.dispatcher().dispatchAll(maxActive: limits).reduce(0) { $0 + $1.total } == 0)
            #expect(try await h.count("SELECT count(*) FROM tiles WHERE status = 'pending'") == plan.records.count * 2 - 7)
            // The summary names both backends.
            #expect(try await h.store.summaries(task: "both").first?.backend == "sim,alt")
        } catch {
            await h.tearDown()
            throw error
        }
        await h.tearDown()
    }

    @Test func anUnavailableBackendTakesNothingAndItsShareGoesElsewhere() async throws {
        let h = try await Harness.make(configuration: try Self.configuration(sim: 3, alt: 4))
        do {
            try await h.submit(Self.spec(id: "both", backends: "backends: [sim, alt]"))
            let outcomes = try await h.dispatcher().dispatchAll(maxActive: ["sim": 3, "alt": 4], unavailable: ["sim"])
            #expect(outcomes.first { $0.backend == "sim" }?.total == 0)
            #expect(outcomes.first { $0.backend == "alt" }?.total == 4)
            #expect(try await h.count("SELECT count(*) FROM tiles WHERE backend = 'sim' AND status <> 'pending'") == 0)
        } catch {
            await h.tearDown()
            throw error
        }
        await h.tearDown()
    }

    @Test func aReleasedRetryGoesBackToPendingAndMovesToAnotherBackend() async throws {
        let h = try await Harness.make(configuration: try Self.configuration(sim: 1, alt: 1))
        do {
            try await h.submit(Self.spec(id: "both", backends: "backends: [sim, alt]\nretry_elsewhere: true"))
            #expect(try await h.dispatcher().dispatch(backend: "sim", maxActive: 1).total == 1)
            let first = try #require(try await h.takeWorkItems(1).first)
            #expect(first.retryElsewhere == true)
            try await h.apply([StatusEvent(task: "both", tile: first.tile, attempt: 1, status: .submitted, backend: "sim", backendJobID: "j1")])
            var released = StatusEvent(task: "both", tile: first.tile, attempt: 1, status: .retrying, backend: "sim", error: "boom")
            released.released = true
            try await h.apply([released])
            #expect(try await h.count("SELECT count(*) FROM tiles WHERE tile_id = \(first.tile) AND status = 'pending' AND attempt = 2") == 1)
            // sim has a free slot again but takes another tile first; alt takes the released one.
            #expect(try await h.dispatcher().dispatch(backend: "sim", maxActive: 1).total == 1)
            let next = try #require(try await h.takeWorkItems(1).first)
            #expect(next.tile != first.tile)
            #expect(try await h.dispatcher().dispatch(backend: "alt", maxActive: 1).total == 1)
            let moved = try #require(try await h.takeWorkItems(1, backend: "alt").first)
            #expect(moved.tile == first.tile && moved.attempt == 2 && moved.backend == "alt")
            try await h.apply([StatusEvent(task: "both", tile: first.tile, attempt: 2, status: .finished, backend: "alt", backendJobID: "j2")])
            // Results show the backend of the tile and of each attempt.
            let result = try #require(try await h.store.results(task: "both", tile: first.tile).first)
            #expect(result.backend == "alt")
            #expect(result.attemptBackends == ["sim", "alt"])
            let exported = TileExport.featureCollection([result])
            var features: [JSONValue] = []
            if case .array(let all)? = exported["features"] { features = all }
            #expect(features.count == 1)
            #expect(features.first?["properties"]?["attempt_backends"] == .array([.string("sim"), .string("alt")]))
            #expect(features.first?["properties"]?["backend"] == .string("alt"))
        } catch {
            await h.tearDown()
            throw error
        }
        await h.tearDown()
    }
}
