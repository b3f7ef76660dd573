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
            let total = try await h.submit(Fixtures.spec(id: "served")).records.count
            let serviceDB = try await PostgresConnection.connect(to: h.db.url)
            // A long timer: only notifications can wake the service after its first pass.
            let service = CoordinatorService(database: serviceDB, amqp: h.amqp, configuration: h.configuration, interval: .seconds(600))
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
