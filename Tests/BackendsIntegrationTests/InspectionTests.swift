import Backends
import FleetModel
import Foundation
import HTTP
import Simulator
import TestSupport
import Testing

/// The inspection calls (preflight, `tilefleet check`) against the simulator, which answers them
/// as openeo-driver and pygeoapi do (BackendsContractIntegrationTests).
@Suite("Inspection against the simulator") struct InspectionTests {
    @Test func openEORootAccountProcessesAndStoredUDPs() async throws {
        try await withSimulator { client, origin, _ in
            let backend = openEOBasic(client, origin)
            guard case .ok(let summary) = await backend.checkRoot() else {
                Issue.record("the simulator's API root was not recognised")
                return
            }
            #expect(summary.hasPrefix("openEO 1.2"), "\(summary)")
            #expect(try await backend.account()?.user == "tilefleet")

            let load = try #require(try await backend.describe(.named(id: "load_collection", namespace: nil)))
            #expect(load.parameter(named: "spatial_extent")?.acceptedTileInputs == [.bboxWGS84, .bboxNative, .geometry, .featureCollection])
            #expect(load.parameter(named: "bands")?.required == false)

            do {
                _ = try await backend.describe(.named(id: "udp_x", namespace: nil))
                Issue.record("expected notFound")
            } catch BackendError.notFound(let message) {
                #expect(message.contains("no process or stored UDP 'udp_x'"), "\(message)")
            }
            let token = try await client.execute(HTTPClient.Request(origin + "/openeo/credentials/basic", headers: [
                "Authorization": "Basic " + Data("tilefleet:tilefleet".utf8).base64EncodedString(),
            ]))
            let access = try #require(try JSONDecoder().decode(JSONValue.self, from: token.body)["access_token"]?.stringValue)
            var store = try HTTPClient.Request(origin + "/openeo/process_graphs/udp_x", method: .put, json: JSONValue.object([
                "parameters": .array([.object(["name": .string("bbox"), "schema": .object(["type": .string("object"), "subtype": .string("bounding-box")])])]),
                "process_graph": .object(["n": .object(["process_id": .string("add"), "arguments": .object([:]), "result": .bool(true)])]),
            ]))
            store.headers.add(name: "Authorization", value: "Bearer basic//\(access)")
            #expect(try await client.execute(store).isSuccess)
            let udp = try #require(try await backend.describe(.named(id: "udp_x", namespace: nil)))
            #expect(udp.parameters == [.init(name: "bbox", required: true, schema: .object(["type": .string("object"), "subtype": .string("bounding-box")]))])
        }
    }

    @Test func ogcRootAndProcessDescription() async throws {
        try await withSimulator { client, origin, _ in
            let backend = ogcBasic(client, origin)
            guard case .ok = await backend.checkRoot() else {
                Issue.record("the simulator's landing page was not recognised")
                return
            }
            let ndvi = try #require(try await backend.describe(.named(id: "ndvi", namespace: nil)))
            #expect(ndvi.parameter(named: "geometry")?.acceptedTileInputs == [.geometry, .featureCollection])
            #expect(ndvi.parameters.allSatisfy { !$0.required })
            do {
                _ = try await backend.describe(.named(id: "ndvj", namespace: nil))
                Issue.record("expected notFound")
            } catch BackendError.notFound(let message) {
                #expect(message.contains("did you mean 'ndvi'?"), "\(message)")
            }
        }
    }
}
