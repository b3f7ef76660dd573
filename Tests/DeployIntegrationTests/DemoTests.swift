import AMQP
import FleetModel
import Foundation
import Messaging
import TestSupport
import Testing

/// `deploy/local/demo.sh`, the script behind `make demo`, run as a newcomer runs it: against the
/// shared RabbitMQ and PostgreSQL, with the bundled simulator, every role in its own process.
/// Only the output folder, the simulator's port and the topology prefix differ, so the run does
/// not meet other tests.
@Suite struct DemoTests {
    static let demoScript = TestEnvironment.projectRoot.appendingPathComponent("deploy/local/demo.sh").path

    @Test func theDemoRunsEndToEndTwiceAndWritesValidGeoJSONAndSTAC() async throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("tilefleet-demo-\(UUID().uuidString.prefix(8))")
        let prefix = "test-demo-\(UUID().uuidString.prefix(8).lowercased())"
        let port = 18_500 + Int.random(in: 0..<400)
        defer {
            try? FileManager.default.removeItem(at: out)
            TestCleanup.later { await Self.deleteTopology(prefix) }
        }
        // A second run on the same machine works too: nothing of the first is left in its way.
        for run in 1...2 {
            let (status, output) = try await TestEnvironment.runOnThread(["/bin/bash", Self.demoScript], environment: [
                "TILEFLEET_BIN": TestEnvironment.tilefleetBinary,
                "TILEFLEET_DEMO_OUT": out.path,
                "TILEFLEET_SIM_PORT": String(port),
                "TILEFLEET_DEMO_PREFIX": prefix,
            ])
            #expect(status == 0, "run \(run): demo.sh exited \(status):\n\(output.suffix(4000))")
            #expect(output.contains("Done. In \(out.path)"), "run \(run)")
            for marker in ["Backtracing", "Fatal error", "Program crashed", "Stack dump"] {
                #expect(!output.contains(marker), "run \(run): the demo printed '\(marker)':\n\(output.suffix(4000))")
            }
            let logs = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("logs").path)
            #expect(Set(logs) == ["simulator.log", "recorder.log", "coordinator.log", "worker-1.log", "worker-2.log"])
            for log in logs {
                let text = try String(contentsOf: out.appendingPathComponent("logs/\(log)"), encoding: .utf8)
                #expect(!text.contains("Backtracing") && !text.contains("Fatal error"), "run \(run), \(log):\n\(text.suffix(3000))")
            }

            // Everything it started is stopped: the simulator's port is closed again.
            #expect(!Self.isListening(port: port), "run \(run): the simulator still listens on \(port) after the demo")

            let tiles = try Self.checkTileStatusGeoJSON(out.appendingPathComponent("tiles-status.geojson"))
            try Self.checkSTAC(collection: out.appendingPathComponent("stac/collection.json"), finishedTiles: tiles.finished)
        }
    }

    /// Valid GeoJSON: a FeatureCollection of polygons in longitude/latitude, every tile terminal.
    static func checkTileStatusGeoJSON(_ file: URL) throws -> (count: Int, finished: Int) {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any]
        #expect(object?["type"] as? String == "FeatureCollection")
        let features = object?["features"] as? [[String: Any]] ?? []
        // The Vienna AOI on the 20 km UTM grid.
        #expect(features.count == 6)
        var finished = 0
        for (index, feature) in features.enumerated() {
            #expect(feature["type"] as? String == "Feature", "feature \(index)")
            let geometry = feature["geometry"] as? [String: Any]
            #expect(["Polygon", "MultiPolygon"].contains(geometry?["type"] as? String), "feature \(index): geometry type")
            let positions = flattenPositions(geometry?["coordinates"])
            #expect(positions.count >= 4, "feature \(index): a polygon has at least four positions")
            #expect(positions.allSatisfy { $0.count == 2 && (16...17).contains($0[0]) && (47.9...48.4).contains($0[1]) },
                    "feature \(index): positions are longitude, latitude around Vienna")
            let properties = feature["properties"] as? [String: Any]
            let status = properties?["status"] as? String
            #expect(["finished", "failed"].contains(status), "feature \(index): status \(status ?? "nil") is not terminal")
            if status == "finished" { finished += 1 }
        }
        #expect(finished > 0)
        return (features.count, finished)
    }

    /// Valid STAC 1.0: a Collection whose item links resolve to Items with geometry, time and assets.
    static func checkSTAC(collection file: URL, finishedTiles: Int) throws {
        let collection = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any] ?? [:]
        #expect(collection["type"] as? String == "Collection")
        #expect(collection["stac_version"] as? String == "1.0.0")
        for field in ["id", "description", "license"] {
            #expect((collection[field] as? String)?.isEmpty == false, "collection.\(field)")
        }
        let extent = collection["extent"] as? [String: Any]
        let bbox = ((extent?["spatial"] as? [String: Any])?["bbox"] as? [[Double]])?.first ?? []
        #expect(bbox.count == 4 && bbox[0] < bbox[2] && bbox[1] < bbox[3], "collection bbox \(bbox)")
        let interval = ((extent?["temporal"] as? [String: Any])?["interval"] as? [[String?]])?.first ?? []
        #expect(interval == ["2023-05-01T00:00:00Z", "2023-09-30T23:59:59Z"])

        let links = collection["links"] as? [[String: Any]] ?? []
        #expect(links.contains { $0["rel"] as? String == "root" })
        let items = links.filter { $0["rel"] as? String == "item" }.compactMap { $0["href"] as? String }
        #expect(items.count == finishedTiles, "one item per finished tile")
        for href in items {
            let url = file.deletingLastPathComponent().appendingPathComponent(href)
            let item = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] ?? [:]
            #expect(item["type"] as? String == "Feature", "\(href)")
            #expect(item["stac_version"] as? String == "1.0.0", "\(href)")
            #expect(item["collection"] as? String == collection["id"] as? String, "\(href)")
            #expect((item["bbox"] as? [Double])?.count == 4, "\(href): bbox")
            #expect((item["geometry"] as? [String: Any])?["type"] as? String == "Polygon", "\(href): geometry")
            let properties = item["properties"] as? [String: Any] ?? [:]
            #expect(properties.keys.contains("datetime"), "\(href): properties.datetime is required, null or a time")
            if properties["datetime"] is NSNull {
                #expect(properties["start_datetime"] is String && properties["end_datetime"] is String,
                        "\(href): a null datetime needs start_datetime and end_datetime")
            }
            let assets = item["assets"] as? [String: [String: Any]] ?? [:]
            #expect(!assets.isEmpty, "\(href): assets")
            #expect(assets.values.allSatisfy { ($0["href"] as? String)?.hasPrefix("http") == true }, "\(href): asset hrefs")
        }
    }

    static func flattenPositions(_ value: Any?) -> [[Double]] {
        if let position = value as? [Double] { return [position] }
        return (value as? [Any] ?? []).flatMap { flattenPositions($0) }
    }

    static func isListening(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    static func deleteTopology(_ prefix: String) async {
        guard let amqp = try? await AMQPConnection.connect(url: TestEnvironment.amqpURL),
              let channel = try? await amqp.openChannel() else { return }
        try? await Topology(prefix: prefix, backends: ["sim"], waitTiers: [1, 2, 5]).delete(on: channel)
        await amqp.close()
    }
}
