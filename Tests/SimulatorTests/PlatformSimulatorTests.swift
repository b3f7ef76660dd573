import Foundation
import HTTP
@testable import Simulator
import TestSupport
import XCTest

final class PlatformSimulatorTests: XCTestCase {
    private func withServer(
        _ configuration: SimulatorConfiguration,
        _ body: (HTTPClient, String, PlatformSimulator) async throws -> Void
    ) async throws {
        let simulator = PlatformSimulator(configuration: configuration)
        try await withLoopbackServer(SimulatorServer { simulator.register(on: $0) }) { client, origin in
            try await body(client, origin, simulator)
        }
    }

    private func authorized(_ url: String, method: HTTPClient.Method = .get, body: String? = nil) -> HTTPClient.Request {
        var request = HTTPClient.Request(url, method: method, headers: ["Authorization": "Bearer static-token"])
        if let body {
            request.body = Data(body.utf8)
            request.headers.add(name: "Content-Type", value: "application/json")
        }
        return request
    }

    func testOpenEOJobLifecycleOverHTTPAndStats() async throws {
        let configuration = SimulatorConfiguration(duration: .fixed(0.1), concurrencyLimit: 1, bearerTokens: ["static-token": "alice"])
        try await self.withServer(configuration) { client, origin, simulator in
            let unauthorized = try await client.execute(HTTPClient.Request(origin + "/openeo/jobs"))
            XCTAssertEqual(unauthorized.status, 401)
            let graph = #"{"process_graph":{"n":{"process_id":"ndvi","arguments":{},"result":true}}}"#
            let body = #"{"title":"He said \"hi\"\n [tilefleet:k1]","process":\#(graph)}"#
            let created = try await client.execute(self.authorized(origin + "/openeo/jobs", method: .post, body: body))
            XCTAssertEqual(created.status, 201)
            let id = try XCTUnwrap(created.headers["OpenEO-Identifier"])
            XCTAssertEqual(created.location, origin + "/openeo/jobs/\(id)")
            let metadata = try await client.execute(self.authorized(origin + "/openeo/jobs/\(id)"))
            let document = try JSONSerialization.jsonObject(with: metadata.body) as? [String: Any]
            XCTAssertEqual(document?["status"] as? String, "created")
            XCTAssertEqual(document?["title"] as? String, "He said \"hi\"\n [tilefleet:k1]")
            let value1 = try await client.execute(self.authorized(origin + "/openeo/jobs/\(id)/results", method: .post)).status
            XCTAssertEqual(value1, 202)
            let second = try await client.execute(self.authorized(origin + "/openeo/jobs", method: .post, body: #"{"title":"[tilefleet:k1]","process":\#(graph)}"#))
            let secondID = try XCTUnwrap(second.headers["OpenEO-Identifier"])
            let refused = try await client.execute(self.authorized(origin + "/openeo/jobs/\(secondID)/results", method: .post))
            XCTAssertEqual(refused.status, 429)
            XCTAssertTrue(refused.text.contains("ConcurrentJobLimit"))
            let stats = try await client.execute(HTTPClient.Request(origin + "/_simulator/stats"))
            let decoded = try JSONDecoder().decode(SimulatorStats.self, from: stats.body)
            XCTAssertEqual(decoded.jobsPerKey["k1"], 2)
            XCTAssertEqual(decoded.duplicateKeys, ["k1"])
            XCTAssertEqual(decoded.peakActiveByUser["alice"], 1)
            XCTAssertEqual(decoded.limitRejections, 1)
            XCTAssertEqual(simulator.stats().jobsCreated, 2)
        }
    }

    func testScriptedFaultsOverHTTP() async throws {
        try await self.withServer(SimulatorConfiguration(requireAuth: false)) { client, origin, _ in
            let faults = #"[{"fault":"status","status":502,"path_suffix":"/openeo/jobs"},{"fault":"throttle","retry_after":7,"path_suffix":"/openeo/jobs"}]"#
            var post = HTTPClient.Request(origin + "/_simulator/faults", method: .post, body: Data(faults.utf8))
            post.headers.add(name: "Content-Type", value: "application/json")
            let value2 = try await client.execute(post).status
            XCTAssertEqual(value2, 204)
            let value3 = try await client.execute(HTTPClient.Request(origin + "/openeo/jobs")).status
            XCTAssertEqual(value3, 502)
            let throttled = try await client.execute(HTTPClient.Request(origin + "/openeo/jobs"))
            XCTAssertEqual(throttled.status, 429)
            XCTAssertEqual(throttled.headers["Retry-After"], "7")
            let value4 = try await client.execute(HTTPClient.Request(origin + "/openeo/jobs")).status
            XCTAssertEqual(value4, 200)
        }
    }

    func testStatusDependsOnTheClock() {
        let start = Date(timeIntervalSince1970: 0)
        var job = SimulatedJob(id: "j", api: .openEO, user: "u", title: nil, idempotencyKey: nil, processID: "p", created: start,
            runSeconds: 10, queueSeconds: 2, fails: false)
        XCTAssertEqual(job.phase(at: start), .created)
        job.started = start
        XCTAssertEqual(job.phase(at: start.addingTimeInterval(1)), .queued)
        XCTAssertEqual(job.phase(at: start.addingTimeInterval(7)), .running)
        XCTAssertEqual(job.progress(at: start.addingTimeInterval(7)), 50)
        XCTAssertEqual(job.phase(at: start.addingTimeInterval(12)), .finished)
        job.canceled = start.addingTimeInterval(5)
        XCTAssertEqual(job.phase(at: start.addingTimeInterval(12)), .canceled)
        XCTAssertEqual(SimulatedJob.idempotencyKey(in: "tile 7 [tilefleet:t.7.a1]"), "t.7.a1")
        XCTAssertEqual(SimulatorJSON.timestamp(Date(timeIntervalSince1970: 86_400 + 3_661)), "1970-01-02T01:01:01Z")
    }

    func testConfigurationDecodesSnakeCase() throws {
        let json = #"{"duration":{"distribution":"uniform","min":1,"max":3},"failure_rate":0.1,"concurrency_limit":4,"faults":{"server_error":0.01,"slow_ms":50}}"#
        let configuration = try JSONDecoder().decode(SimulatorConfiguration.self, from: Data(json.utf8))
        XCTAssertEqual(configuration.concurrencyLimit, 4)
        XCTAssertEqual(configuration.faults.serverError, 0.01)
        XCTAssertEqual(configuration.faults.slowMilliseconds, 50)
        XCTAssertEqual(configuration.duration.sample(unit: 0.5, normal: 0), 2)
        XCTAssertEqual(configuration.users, ["tilefleet": "tilefleet"])
    }
}
