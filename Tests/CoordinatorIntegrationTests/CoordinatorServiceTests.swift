import AMQP
import Coordinator
import FleetModel
import Foundation
import Logging
import Postgres
import ServiceLifecycle
import Storage
import Testing
import TestSupport

/// The dispatch service: wakes on the recorder's NOTIFY, releases tiles as others finish, and
/// produces results for `results`.
@Suite(.serialized) struct CoordinatorServiceTests {
    @Test func theServiceReleasesTilesAsTheRecorderAnnouncesFinishedOnes() async throws {
        let h = try await Harness.make(maxActive: 3)
        do {
            let total = try await h.submit(TaskFixtures.spec(id: "served")).records.count
            let serviceDB = try await PostgresConnection.connect(to: h.db.url)
            // A long timer: only notifications can wake the service after its first pass.
            let service = CoordinatorService(database: serviceDB, amqp: h.amqp, configuration: h.configuration, signing: .unsigned, interval: .seconds(600))
            let group = ServiceGroup(configuration: .init(services: [.init(service: service)], logger: Logger(label: "test")))
            let running = Task { try await group.run() }

            var finished = 0
            let deadline = ContinuousClock.now + .seconds(60)
            while finished < total, ContinuousClock.now < deadline {
                let active = try await h.db.connection.query("SELECT tile_id FROM tiles WHERE status = 'queued' ORDER BY tile_id")
                #expect(active.count <= 3)
                if active.isEmpty {
                    try await Task.sleep(for: .milliseconds(20))
                    continue
                }
                // What workers and the recorder do; EventStore NOTIFYs tilefleet_tiles in its transaction.
                let events = try active.map { row in
                    StatusEvent(task: "served", tile: try row.decode(String.self, at: 0), attempt: 1, status: .finished, backend: "sim",
                                assets: [StatusEvent.Asset(href: "https://example.org/\(try row.decode(String.self, at: 0)).tif", type: "image/tiff")])
                }
                try await h.apply(events)
                finished += events.count
            }
            await group.triggerGracefulShutdown()
            try await running.value
            await serviceDB.close()

            #expect(try await h.count("SELECT count(*) FROM tiles WHERE status = 'finished'") == total)
            let results = try await h.store.results(task: "served")
            #expect(results.count == total)
            #expect(results.allSatisfy { $0.assets.count == 1 && $0.status == "finished" })
            #expect(try await h.store.summaries(task: "served")[0].isDone)
        } catch {
            await h.tearDown()
            throw error
        }
        await h.tearDown()
    }
}

/// The post-job command: once per finished tile attempt, assets in its environment, failures kept.
@Suite(.serialized) struct PostJobTests {
    @Test func thePostJobRunsOncePerFinishedTileAndItsFailureIsRecorded() async throws {
        let h = try await Harness.make(maxActive: 100)
        do {
            let marker = FileManager.default.temporaryDirectory.appendingPathComponent("tf-post-\(UUID().uuidString)").path
            let spec = TaskFixtures.spec(id: "post", columns: 2, rows: 1)
                + "\npost_job: 'echo \"$TILEFLEET_TILE $TILEFLEET_ASSETS\" >> \(marker); case $TILEFLEET_TILE in *E5*) exit 3;; esac'"
            let total = try await h.submit(spec).records.count
            _ = try await h.dispatcher().dispatch(backend: "sim", maxActive: 100)
            let tiles = try await h.db.connection.query("SELECT tile_id FROM tiles ORDER BY tile_id").map { try $0.decode(String.self, at: 0) }
            try await h.apply(tiles.map {
                StatusEvent(task: "post", tile: $0, attempt: 1, status: .finished, backend: "sim", assets: [StatusEvent.Asset(href: "https://example.org/\($0).tif")])
            })
            let runner = PostJobRunner(connection: h.db.connection)
            let runs = try await runner.runPending(limit: 100)
            #expect(runs.count == total)
            #expect(try await runner.runPending(limit: 100).isEmpty)   // never twice
            let lines = try String(contentsOfFile: marker, encoding: .utf8).split(separator: "\n")
            #expect(lines.count == total)
            #expect(lines.allSatisfy { $0.contains("https://example.org/") })
            let failed = runs.filter { $0.exitCode != 0 }.count
            #expect(try await h.count("SELECT count(*) FROM post_jobs WHERE status = 'failed' AND exit_code = 3") == failed)
            #expect(try await h.count("SELECT count(*) FROM post_jobs WHERE status = 'succeeded'") == total - failed)
            try? FileManager.default.removeItem(atPath: marker)
        } catch {
            await h.tearDown()
            throw error
        }
        await h.tearDown()
    }
}
