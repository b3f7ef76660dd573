import FleetModel
import Foundation
import HTTP
import HummingbirdWSClient
import Logging
import Synchronization
import TestSupport
import Testing

/// The APEx Dispatch API notebook (seeds/000) replayed against `tilefleet serve` with the whole
/// fleet and the simulator: only the base URL and the token differ from the notebook.
@Suite(.serialized) struct APExContractTests {
    /// The notebook's Vienna area of interest, as it posts it.
    static let vienna: JSONValue = .object([
        "type": .string("Polygon"),
        "coordinates": .array([.array([
            [16.14820803974601, 48.3081456959695], [16.14820803974601, 48.0326396134746], [16.70922281740272, 48.0326396134746],
            [16.70922281740272, 48.3081456959695], [16.14820803974601, 48.3081456959695],
        ].map { .array($0.map(JSONValue.number)) })]),
    ])

    /// What the websocket delivered, and the results read on the way.
    final class Notebook: Sendable {
        struct State {
            var messages: [JSONValue] = []
            var processed: Set<String> = []
            var hrefs: [String: String] = [:]
            var problems: [String] = []
        }
        let state = Mutex(State())
    }

    @Test func theNotebooksSequenceRunsTheVienna20kmTilesToTheirResults() async throws {
        let h = try await ServeHarness()
        defer { TestCleanup.later { await h.shutDown() } }
        try await h.startFleet()

        // 1. POST /tiles (no token): the 20x20km grid over Vienna, as a GeometryCollection.
        let tilesResponse = try await h.request("/tiles", method: .post, json: .object(["grid": .string("20x20km"), "aoi": Self.vienna]))
        #expect(tilesResponse.status == 201)
        let tiles = try ServeHarness.json(tilesResponse)
        #expect(tiles["type"]?.stringValue == "GeometryCollection")
        let geometries = try #require(tiles["geometries"]?.arrayValue)
        // tilefleet's true-size km:20 grid: 6 tiles (APEx's EPSG:3857 cells give 12).
        #expect(geometries.count == 6)
        #expect(geometries.allSatisfy { $0["type"]?.stringValue == "Polygon" })

        // 2. POST /upscale_tasks with the tiles as the spatial_extent dimension.
        let created = try await h.request("/upscale_tasks", method: .post, user: "alice", json: .object([
            "title": .string("Upscalinge - PV Detection"), "label": .string("openeo"),
            "service": .object([
                "endpoint": .string(h.simulatorURL),
                "application": .string("https://raw.githubusercontent.com/ESA-APEx/apex_algorithms/refs/heads/main/algorithm_catalog/eurac/eurac_pv_farm_detection/openeo_udp/eurac_pv_farm_detection.json"),
            ]),
            "format": .string("gtiff"),
            "parameters": .object(["temporal_extent": .array([.string("2023-05-01"), .string("2023-09-30")])]),
            "dimension": .object(["name": .string("spatial_extent"), "values": .array(geometries)]),
        ]))
        #expect(created.status == 201, "\(String(decoding: created.body, as: UTF8.self))")
        let task = try ServeHarness.json(created)
        let taskID = try #require(task["id"]?.stringValue)
        #expect(task["status"]?.stringValue == "created")
        #expect(task["label"]?.stringValue == "openeo")
        #expect(task["title"]?.stringValue == "Upscalinge - PV Detection")

        // 3. Follow the websocket until the task is final; fetch each finished job's results once.
        let notebook = Notebook()
        let url = "ws://127.0.0.1:\(h.port)/ws/upscale_tasks/\(taskID)?interval=1&token=\(ServeHarness.tokens["alice"]!)"
        let close = try await WebSocketClient.connect(url: url, logger: Logger(label: "test.ws")) { inbound, _, _ in
            for try await message in inbound.messages(maxSize: 16 << 20) {
                guard case .text(let text) = message, let value = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) else { continue }
                notebook.state.withLock { $0.messages.append(value) }
                guard let data = value["data"], data != .null else { continue }
                for job in data["jobs"]?.arrayValue ?? [] {
                    guard let id = job["id"]?.stringValue, job["status"]?.stringValue == "finished",
                          notebook.state.withLock({ $0.processed.insert(id).inserted }) else { continue }
                    let results = try await h.request("/unit_jobs/\(id)/results", user: "alice")
                    let href = (try? ServeHarness.json(results))?["assets"]?["openEO.tif"]?["href"]?.stringValue
                    notebook.state.withLock {
                        if let href { $0.hrefs[id] = href } else { $0.problems.append("\(id): results \(results.status) without assets[openEO.tif].href") }
                    }
                }
                if let status = data["status"]?.stringValue, ["finished", "canceled", "failed"].contains(status) { break }
            }
        }
        let state = notebook.state.withLock { $0 }
        #expect(close?.closeCode == .normalClosure)
        #expect(state.messages.first?["type"]?.stringValue == "init")
        #expect(state.messages.first?["task_id"]?.stringValue == taskID)
        #expect(state.messages.first?["data"] == .null)
        let last = try #require(state.messages.last)
        #expect(last["type"]?.stringValue == "status")
        #expect(last["data"]?["status"]?.stringValue == "finished", "\(h.log("worker"))")
        let jobs = last["data"]?["jobs"]?.arrayValue ?? []
        #expect(jobs.count == geometries.count)
        // Every job carries its tile as spatial_extent and the task's other parameters.
        #expect(jobs.allSatisfy { $0["parameters"]?["spatial_extent"]?["type"]?.stringValue == "Polygon" })
        #expect(jobs.allSatisfy { $0["parameters"]?["temporal_extent"] == .array([.string("2023-05-01"), .string("2023-09-30")]) })
        #expect(Set(jobs.compactMap { $0["parameters"]?["spatial_extent"] }) == Set(geometries))
        #expect(state.problems.isEmpty, "\(state.problems)")
        #expect(state.hrefs.count == geometries.count)

        // 4. Each result href leads to the platform's file.
        for href in state.hrefs.values {
            let file = try await h.client.execute(HTTPClient.Request(href))
            #expect(file.status == 200)
            #expect(!file.body.isEmpty)
        }
    }
}
