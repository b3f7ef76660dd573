import AMQP
import Coordinator
import FleetModel
import Foundation
import Logging
import Messaging
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

extension CoordinatorServiceTests {
    /// Without a recorder: only the workers' `finished` events on the events exchange can free a
    /// slot, and only those tagged with the events key do.
    @Test func aFinishedEventOnTheEventsExchangeFreesItsSlotWithoutTheRecorder() async throws {
        let h = try await Harness.make(maxActive: 2)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ended-\(UUID().uuidString)").path
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let path = directory + "/events.key"
            FileManager.default.createFile(atPath: path, contents: Data(MessageKeyRing.newKey().utf8), attributes: [.posixPermissions: 0o600])
            let signing = MessageSigning(events: try MessageKeyFile(path: path))
            _ = try await h.submit(TaskFixtures.spec(id: "ahead"))
            let serviceDB = try await PostgresConnection.connect(to: h.db.url)
            var configuration = h.configuration
            configuration.recovery.healInterval = .milliseconds(300)
            let service = CoordinatorService(database: serviceDB, amqp: h.amqp, configuration: configuration, signing: signing, interval: .seconds(600))
            let group = ServiceGroup(configuration: .init(services: [.init(service: service)], logger: Logger(label: "test")))
            let running = Task { try await group.run() }
            func queued() async throws -> [String] {
                try await h.db.connection.query("SELECT tile_id FROM tiles WHERE status = 'queued' ORDER BY tile_id").map { try $0.decode(String.self, at: 0) }
            }
            var first: [String] = []
            try await eventually(timeout: .seconds(20)) {
                first = try await queued()
                return first.count == 2
            }
            try await h.channel.enablePublisherConfirms()
            let json = AMQPProperties(contentType: "application/json")
            func publish(_ event: StatusEvent, tagged: Bool) async throws {
                let body = event.encoded()
                try await h.channel.publish(body, exchange: h.topology.eventsExchange, routingKey: event.routingKey,
                                            properties: tagged ? signing.tagged(json, body: body, purpose: .events) : json)
                try await h.channel.waitForConfirms()
            }
            // An untagged event frees nothing (the service's consumer is up once an event
            // published after the first pass reaches it; the tagged one below shows it is).
            try await publish(StatusEvent(task: "ahead", tile: first[0], attempt: 1, status: .finished, backend: "sim"), tagged: false)
            try await publish(StatusEvent(task: "ahead", tile: first[1], attempt: 1, status: .finished, backend: "sim"), tagged: true)
            var now: [String] = []
            try await eventually(timeout: .seconds(20)) {
                now = try await queued()
                return now.count == 3
            }
            #expect(now.count == 3, "the tagged event freed one slot while the database still counts both tiles")
            #expect(Set(first).isSubset(of: now))
            // Had the untagged event (taken first) been noted, a fourth tile would follow within a pass.
            try await Task.sleep(for: .seconds(1))
            #expect(try await queued().count == 3)

            // The broker loses the events exchange and gets it back: the service binds its queue again.
            try await h.channel.deleteExchange(h.topology.eventsExchange)
            try await h.topology.declare(on: h.channel)
            let third = try #require(now.first { !first.contains($0) })
            try await eventually(timeout: .seconds(20)) {
                try await publish(StatusEvent(task: "ahead", tile: third, attempt: 1, status: .finished, backend: "sim"), tagged: true)
                return try await queued().count == 4
            }
            #expect(try await queued().count == 4)

            await group.triggerGracefulShutdown()
            try await running.value
            await serviceDB.close()
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            await h.tearDown()
            throw error
        }
        try? FileManager.default.removeItem(atPath: directory)
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
