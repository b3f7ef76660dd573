import FleetModel
import Foundation
import HTTP
import HummingbirdWSClient
import Logging
import Storage
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `tilefleet serve` alone on a fresh database and broker (no coordinator: tasks stay pending):
/// authentication, the error envelope, users' own tasks, the job routes, tilefleet's own routes,
/// the map, the websockets' refusals, /metrics and a clean SIGTERM.
@Suite(.serialized) struct ServeAPITests {
    /// An APEx upscale task of two small squares near Vienna on the harness's simulator.
    static func upscaleTask(_ h: ServeHarness, title: String = "two squares") -> JSONValue {
        func square(_ west: Double, _ south: Double) -> JSONValue {
            .object(["type": .string("Polygon"), "coordinates": .array([.array(
                [[west, south], [west + 0.05, south], [west + 0.05, south + 0.05], [west, south + 0.05], [west, south]]
                    .map { .array($0.map(JSONValue.number)) })])])
        }
        return .object([
            "title": .string(title), "label": .string("openeo"),
            "service": .object(["endpoint": .string(h.simulatorURL), "application": .string("https://example.org/udp/ndvi.json")]),
            "format": .string("gtiff"), "parameters": .object(["temporal_extent": .array([.string("2023-05-01"), .string("2023-09-30")])]),
            "dimension": .object(["name": .string("spatial_extent"), "values": .array([square(16.2, 48.1), square(16.4, 48.1)])]),
        ])
    }

    @Test func healthAnswersOkAndEveryAnswerEchoesTheCorrelationID() async throws {
        let h = try await ServeHarness()
        defer { TestCleanup.later { await h.shutDown() } }
        try await h.startServe()
        let health = try await h.request("/health", headers: [("X-Correlation-ID", "abc-123")])
        #expect(health.status == 200)
        #expect(try ServeHarness.json(health) == .object(["status": .string("ok"), "database": .object(["status": .string("ok")])]))
        #expect(health.headers["X-Correlation-ID"] == "abc-123")
        // Without one, serve makes one up and names it in the error envelope.
        let denied = try await h.request("/upscale_tasks/nothing")
        #expect(denied.status == 401)
        let envelope = try ServeHarness.json(denied)
        #expect(envelope["status"]?.stringValue == "error")
        #expect(envelope["error_code"]?.stringValue == "AUTHENTICATION_FAILED")
        let id = try #require(denied.headers["X-Correlation-ID"])
        #expect(envelope["request_id"]?.stringValue == id)
        #expect(!id.isEmpty)
        // A wrong token is no better than none; a route that does not exist is a 404 envelope.
        #expect(try await h.request("/jobs_status", user: "not-a-token").status == 401)
        let missing = try await h.request("/no/such/route", headers: [("X-Correlation-ID", "r-9")])
        #expect(missing.status == 404)
        #expect(try ServeHarness.json(missing)["request_id"]?.stringValue == "r-9")
    }

    @Test func badTasksAre422NamingTheFieldAndNothingIsStored() async throws {
        let h = try await ServeHarness()
        defer { TestCleanup.later { await h.shutDown() } }
        try await h.startServe()
        guard case .object(var task) = Self.upscaleTask(h) else { return }
        task.removeValue(forKey: "dimension")
        let noDimension = try await h.request("/upscale_tasks", method: .post, user: "alice", json: .object(task))
        #expect(noDimension.status == 422)
        let envelope = try ServeHarness.json(noDimension)
        #expect(envelope["error_code"]?.stringValue == "VALIDATION_ERROR")
        #expect(envelope["details"]?.arrayValue?.first?["field"]?.stringValue == "dimension")

        guard case .object(var other) = Self.upscaleTask(h) else { return }
        other["service"] = .object(["endpoint": .string("https://nowhere.example.org/openeo"), "application": .string("https://example.org/u.json")])
        let unknown = try await h.request("/upscale_tasks", method: .post, user: "alice", json: .object(other))
        #expect(unknown.status == 422)
        #expect(try ServeHarness.json(unknown)["details"]?.arrayValue?.first?["field"]?.stringValue == "service.endpoint")

        let badTiles = try await h.request("/tiles", method: .post, json: .object(["grid": .string("7x3km"), "aoi": APExContractTests.vienna]))
        #expect(badTiles.status == 422)
        #expect(try ServeHarness.json(badTiles)["details"]?.arrayValue?.first?["field"]?.stringValue == "grid")
        #expect(try await TaskStore(connection: h.db.connection).summaries().isEmpty)
    }

    @Test func aUserSeesOnlyTheirOwnTasksAndJobs() async throws {
        let h = try await ServeHarness()
        defer { TestCleanup.later { await h.shutDown() } }
        try await h.startServe()
        let created = try await h.request("/upscale_tasks", method: .post, user: "alice", json: Self.upscaleTask(h))
        #expect(created.status == 201)
        let id = try #require(try ServeHarness.json(created)["id"]?.stringValue)
        #expect(try await TaskStore(connection: h.db.connection).requester(of: id) == "alice")

        let mine = try ServeHarness.json(try await h.request("/upscale_tasks/\(id)", user: "alice"))
        #expect(mine["status"]?.stringValue == "created")
        #expect(mine["service"]?["endpoint"]?.stringValue == h.simulatorURL)
        let jobs = try #require(mine["jobs"]?.arrayValue)
        #expect(jobs.count == 2)
        let jobID = try #require(jobs.first?["id"]?.stringValue)

        let theirs = try await h.request("/upscale_tasks/\(id)", user: "bob")
        #expect(theirs.status == 404)
        #expect(try ServeHarness.json(theirs)["error_code"]?.stringValue == "TASK_NOT_FOUND")
        let theirJob = try await h.request("/unit_jobs/\(jobID)", user: "bob")
        #expect(theirJob.status == 404)
        #expect(try ServeHarness.json(theirJob)["error_code"]?.stringValue == "JOB_NOT_FOUND")
        #expect(try await h.request("/api/tasks/\(id)/tiles", user: "bob").status == 404)

        let aliceStatus = try ServeHarness.json(try await h.request("/jobs_status", user: "alice"))
        #expect(aliceStatus["upscaling_tasks"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [id])
        #expect(aliceStatus["processing_jobs"]?.arrayValue?.count == 2)
        let bobStatus = try ServeHarness.json(try await h.request("/jobs_status", user: "bob"))
        #expect(bobStatus == .object(["upscaling_tasks": .array([]), "processing_jobs": .array([])]))
        #expect(try await h.request("/jobs_status?limit=0", user: "alice").status == 422)
    }

    @Test func aUnitJobIsCreatedReadAndCanceled() async throws {
        let h = try await ServeHarness()
        defer { TestCleanup.later { await h.shutDown() } }
        try await h.startServe()
        let extent = JSONValue.object(["west": .number(16.2), "south": .number(48.1), "east": .number(16.25), "north": .number(48.15)])
        let created = try await h.request("/unit_jobs", method: .post, user: "alice", json: .object([
            "title": .string("one job"), "label": .string("openeo"),
            "service": .object(["endpoint": .string(h.simulatorURL), "application": .string("https://example.org/udp/ndvi.json")]),
            "parameters": .object(["spatial_extent": extent, "temporal_extent": .array([.string("2023-05-01"), .string("2023-09-30")])]),
        ]))
        #expect(created.status == 201, "\(String(decoding: created.body, as: UTF8.self))")
        let id = try #require(try ServeHarness.json(created)["id"]?.stringValue)
        let job = try ServeHarness.json(try await h.request("/unit_jobs/\(id)", user: "alice"))
        #expect(job["status"]?.stringValue == "created")
        #expect(job["parameters"]?["spatial_extent"]?["type"]?.stringValue == "Polygon")
        #expect(job["result_link"] == .null)

        let noExtent = try await h.request("/unit_jobs", method: .post, user: "alice", json: .object([
            "title": .string("x"), "label": .string("openeo"),
            "service": .object(["endpoint": .string(h.simulatorURL), "application": .string("https://example.org/u.json")]),
            "parameters": .object([:]),
        ]))
        #expect(noExtent.status == 422)
        #expect(try ServeHarness.json(noExtent)["details"]?.arrayValue?.first?["field"]?.stringValue == "parameters.spatial_extent")

        #expect(try await h.request("/unit_jobs/\(id)", method: .delete, user: "bob").status == 404)
        #expect(try await h.request("/unit_jobs/\(id)", method: .delete, user: "alice").status == 204)
        let canceled = try ServeHarness.json(try await h.request("/unit_jobs/\(id)", user: "alice"))
        #expect(canceled["status"]?.stringValue == "canceled")
        #expect(try await h.request("/unit_jobs/not-a-job-id", user: "alice").status == 404)
    }

    @Test func tilefleetsOwnRoutesShowTilesAsGeoJSONAndCancelAndRetry() async throws {
        let h = try await ServeHarness()
        defer { TestCleanup.later { await h.shutDown() } }
        try await h.startServe()
        let id = try #require(try ServeHarness.json(try await h.request("/upscale_tasks", method: .post, user: "alice",
                                                                          json: Self.upscaleTask(h)))["id"]?.stringValue)
        let tasks = try ServeHarness.json(try await h.request("/api/tasks", user: "alice"))
        #expect(tasks.arrayValue?.first?["id"]?.stringValue == id)
        #expect(tasks.arrayValue?.first?["counts"]?["pending"] == .number(2))

        let geojson = try await h.request("/api/tasks/\(id)/tiles.geojson", user: "alice")
        #expect(geojson.headers["Content-Type"] == "application/geo+json")
        let features = try #require(try ServeHarness.json(geojson)["features"]?.arrayValue)
        #expect(features.count == 2)
        #expect(features.allSatisfy { $0["geometry"]?["type"]?.stringValue == "Polygon" && $0["properties"]?["apex_status"]?.stringValue == "created" })
        let tile = try #require(features.first?["properties"]?["tile"]?.stringValue)

        let cancel = try ServeHarness.json(try await h.request("/api/tasks/\(id)/cancel", method: .post, user: "alice",
                                                               json: .object(["tiles": .array([.string(tile)])])))
        #expect(cancel["canceled"] == .number(1))
        let detail = try ServeHarness.json(try await h.request("/api/tasks/\(id)/tiles/\(tile)", user: "alice"))
        #expect(detail["status"]?.stringValue == "canceled")
        #expect(detail["attempts"] == .array([]))
        let retry = try ServeHarness.json(try await h.request("/api/tasks/\(id)/retry", method: .post, user: "alice"))
        #expect(retry["retried"] == .number(1))
        let again = try ServeHarness.json(try await h.request("/api/tasks/\(id)/tiles/\(tile)", user: "alice"))
        #expect(again["status"]?.stringValue == "pending")
        #expect(again["attempt"] == .number(2))
        let unknown = try await h.request("/api/tasks/\(id)/cancel", method: .post, user: "alice", json: .object(["tiles": .array([.string("no-such-tile")])]))
        #expect(unknown.status == 404)
        #expect(try ServeHarness.json(unknown)["message"]?.stringValue?.contains("no-such-tile") == true)
    }

    @Test func theMapPageAndLeafletAreServedWithoutACDN() async throws {
        let h = try await ServeHarness()
        defer { TestCleanup.later { await h.shutDown() } }
        try await h.startServe()
        let page = try await h.request("/")
        #expect(page.status == 200)
        let html = String(decoding: page.body, as: UTF8.self)
        #expect(html.contains("/leaflet/leaflet.js"))
        #expect(!html.contains("unpkg") && !html.contains("cdn"))
        let script = try await h.request("/leaflet/leaflet.js")
        #expect(script.status == 200)
        #expect(String(decoding: script.body, as: UTF8.self).contains("Leaflet"))
        #expect(try await h.request("/leaflet/../../etc/passwd").status == 404)
    }

    @Test func websocketsRefuseAMissingTokenWith1008AndAnUnknownTaskWithAnErrorAnd1011() async throws {
        let h = try await ServeHarness()
        defer { TestCleanup.later { await h.shutDown() } }
        try await h.startServe()
        let noToken = try await WebSocketClient.connect(url: "ws://127.0.0.1:\(h.port)/ws/upscale_tasks/x", logger: Logger(label: "test.ws")) { inbound, _, _ in
            for try await _ in inbound {}
        }
        #expect(noToken?.closeCode == .policyViolation)

        let received = Received()
        let url = "ws://127.0.0.1:\(h.port)/ws/upscale_tasks/no-such-task?interval=1&token=\(ServeHarness.tokens["alice"]!)"
        let unknown = try await WebSocketClient.connect(url: url, logger: Logger(label: "test.ws")) { inbound, _, _ in
            for try await message in inbound.messages(maxSize: 1 << 20) {
                if case .text(let text) = message, let value = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) { received.append(value) }
            }
        }
        #expect(unknown?.closeCode == .unexpectedServerError)
        let messages = received.values
        #expect(messages.map { $0["type"]?.stringValue } == ["init", "error"])
        #expect(messages.last?["message"]?.stringValue?.contains("no-such-task") == true)
    }

    @Test func aWebsocketPushesAChangeAtOnceNotOnlyEveryInterval() async throws {
        let h = try await ServeHarness()
        defer { TestCleanup.later { await h.shutDown() } }
        try await h.startServe()
        let id = try #require(try ServeHarness.json(try await h.request("/upscale_tasks", method: .post, user: "alice",
                                                                          json: Self.upscaleTask(h)))["id"]?.stringValue)
        let received = Received()
        // An hour's interval: only the push on change can bring the canceled task within the test's time.
        let url = "ws://127.0.0.1:\(h.port)/ws/upscale_tasks/\(id)?interval=3600&token=\(ServeHarness.tokens["alice"]!)"
        let close = try await withThrowingTaskGroup(of: WebSocketCloseFrame?.self) { group in
            group.addTask {
                try await WebSocketClient.connect(url: url, logger: Logger(label: "test.ws")) { inbound, _, _ in
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        guard case .text(let text) = message, let value = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) else { continue }
                        received.append(value)
                        if value["type"]?.stringValue == "status", value["data"]?["status"]?.stringValue == "created" {
                            _ = try await h.request("/api/tasks/\(id)/cancel", method: .post, user: "alice")
                        }
                    }
                }
            }
            group.addTask {
                try await Task.sleep(for: .seconds(60))
                throw ServeHarness.HarnessError("no push within 60 s: \(received.values)")
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        #expect(close?.closeCode == .normalClosure)
        #expect(received.values.compactMap { $0["data"]?["status"]?.stringValue } == ["created", "canceled"])
    }

    @Test func aTasksEventsAreListedAndStreamedOnceEachAsTheyAreRecorded() async throws {
        let h = try await ServeHarness()
        defer { TestCleanup.later { await h.shutDown() } }
        try await h.startServe()
        let id = try #require(try ServeHarness.json(try await h.request("/upscale_tasks", method: .post, user: "alice",
                                                                          json: Self.upscaleTask(h)))["id"]?.stringValue)
        let tile = try #require(try await TaskStore(connection: h.db.connection).tileDetails(task: id).first?.tile)
        let events = [
            StatusEvent(task: id, tile: tile, attempt: 1, status: .queued, backend: "sim"),
            StatusEvent(task: id, tile: tile, attempt: 1, status: .submitted, backend: "sim", backendJobID: "j-1"),
            StatusEvent(task: id, tile: tile, attempt: 1, status: .running, backend: "sim", backendJobID: "j-1", progress: 0.5),
        ]
        let received = Received()
        let url = "ws://127.0.0.1:\(h.port)/ws/tasks/\(id)/events?token=\(ServeHarness.tokens["alice"]!)"
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await WebSocketClient.connect(url: url, logger: Logger(label: "test.ws")) { inbound, outbound, _ in
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        guard case .text(let text) = message, let value = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) else { continue }
                        received.append(value)
                        if value["type"]?.stringValue == "init" {
                            // Recorded after the stream began, in two batches as the recorder writes them.
                            try await EventStore(connection: h.db.connection).apply(Array(events.prefix(2)))
                            try await EventStore(connection: h.db.connection).apply(Array(events.suffix(1)))
                        }
                        let streamed = received.values.flatMap { $0["type"]?.stringValue == "events" ? $0["data"]?.arrayValue ?? [] : [] }
                        if streamed.count >= events.count {
                            try await Task.sleep(for: .seconds(2))  // a read more: nothing is sent twice
                            try await outbound.close(.normalClosure, reason: nil)
                        }
                    }
                }
            }
            group.addTask {
                try await Task.sleep(for: .seconds(60))
                throw ServeHarness.HarnessError("events not streamed within 60 s: \(received.values)")
            }
            try await group.next()
            group.cancelAll()
        }
        let messages = received.values
        #expect(messages.first?["type"]?.stringValue == "init")
        #expect(messages.first?["data"] == .array([]))
        let streamed = messages.flatMap { $0["type"]?.stringValue == "events" ? $0["data"]?.arrayValue ?? [] : [] }
        #expect(streamed.compactMap { $0["id"]?.stringValue } == events.map { $0.id.uuidString.lowercased() })
        #expect(streamed.compactMap { $0["status"]?.stringValue } == ["queued", "submitted", "running"])

        let listed = try ServeHarness.json(try await h.request("/api/tasks/\(id)/events?limit=2", user: "alice"))
        #expect(listed.arrayValue?.compactMap { $0["status"]?.stringValue } == ["submitted", "running"])
        #expect(try await h.request("/api/tasks/\(id)/events", user: "bob").status == 404)
    }

    @Test func metricsCountRequestsByRouteAndStatusAndSIGTERMStopsServeCleanly() async throws {
        let h = try await ServeHarness()
        defer { TestCleanup.later { await h.shutDown() } }
        try await h.startServe()
        _ = try await h.request("/jobs_status", user: "alice")
        _ = try await h.request("/upscale_tasks/a-task")
        let metrics = String(decoding: try await h.request("/metrics").body, as: UTF8.self)
        #expect(metrics.contains(#"tilefleet_serve_requests_total{route="/jobs_status",method="GET",status="200"} 1"#), "\(metrics)")
        #expect(metrics.contains(#"tilefleet_serve_requests_total{route="/upscale_tasks/{id}",method="GET",status="401"} 1"#), "\(metrics)")
        #expect(h.terminate("serve") == 0, "\(h.log("serve"))")
        #expect(!h.log("serve").contains(ServeHarness.tokens["alice"]!))
    }
}

/// Messages a websocket handler received.
final class Received: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [JSONValue] = []
    func append(_ value: JSONValue) { lock.withLock { list.append(value) } }
    var values: [JSONValue] { lock.withLock { list } }
}
