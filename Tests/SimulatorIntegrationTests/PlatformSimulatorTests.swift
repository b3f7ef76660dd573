import Foundation
import HTTP
@testable import Simulator
import TestSupport
import Testing

/// The platform simulator itself: the openEO job lifecycle and stats over HTTP, scripted faults, the
/// clock-driven job phases and the snake_case configuration.
@Suite struct PlatformSimulatorTests {
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

    @Test func openEOJobLifecycleOverHTTPAndStats() async throws {
        // The first job runs far longer than the test, so the second start always meets the limit.
        let configuration = SimulatorConfiguration(duration: .fixed(600), concurrencyLimit: 1, bearerTokens: ["static-token": "alice"])
        try await self.withServer(configuration) { client, origin, simulator in
            let unauthorized = try await client.execute(HTTPClient.Request(origin + "/openeo/jobs"))
            #expect(unauthorized.status == 401)
            let graph = #"{"process_graph":{"n":{"process_id":"ndvi","arguments":{},"result":true}}}"#
            let body = #"{"title":"He said \"hi\"\n [tilefleet:k1]","process":\#(graph)}"#
            let created = try await client.execute(self.authorized(origin + "/openeo/jobs", method: .post, body: body))
            #expect(created.status == 201)
            let id = try #require(created.headers["OpenEO-Identifier"])
            #expect(created.location == origin + "/openeo/jobs/\(id)")
            let metadata = try await client.execute(self.authorized(origin + "/openeo/jobs/\(id)"))
            let document = try JSONSerialization.jsonObject(with: metadata.body) as? [String: Any]
            #expect(document?["status"] as? String == "created")
            #expect(document?["title"] as? String == "He said \"hi\"\n [tilefleet:k1]")
            let started = try await client.execute(self.authorized(origin + "/openeo/jobs/\(id)/results", method: .post)).status
            #expect(started == 202)
            let second = try await client.execute(self.authorized(origin + "/openeo/jobs", method: .post, body: #"{"title":"[tilefleet:k1]","process":\#(graph)}"#))
            let secondID = try #require(second.headers["OpenEO-Identifier"])
            let refused = try await client.execute(self.authorized(origin + "/openeo/jobs/\(secondID)/results", method: .post))
            #expect(refused.status == 429)
            #expect(refused.text.contains("ConcurrentJobLimit"))
            let stats = try await client.execute(HTTPClient.Request(origin + "/_simulator/stats"))
            let decoded = try JSONDecoder().decode(SimulatorStats.self, from: stats.body)
            #expect(decoded.jobsPerKey["k1"] == 2)
            #expect(decoded.duplicateKeys == ["k1"])
            #expect(decoded.peakActiveByUser["alice"] == 1)
            #expect(decoded.limitRejections == 1)
            #expect(simulator.stats().jobsCreated == 2)
        }
    }

    @Test func scriptedFaultsOverHTTP() async throws {
        try await self.withServer(SimulatorConfiguration(requireAuth: false)) { client, origin, _ in
            let faults = #"[{"fault":"status","status":502,"path_suffix":"/openeo/jobs"},{"fault":"throttle","retry_after":7,"path_suffix":"/openeo/jobs"}]"#
            var post = HTTPClient.Request(origin + "/_simulator/faults", method: .post, body: Data(faults.utf8))
            post.headers.add(name: "Content-Type", value: "application/json")
            let scripted = try await client.execute(post).status
            #expect(scripted == 204)
            let failed = try await client.execute(HTTPClient.Request(origin + "/openeo/jobs")).status
            #expect(failed == 502)
            let throttled = try await client.execute(HTTPClient.Request(origin + "/openeo/jobs"))
            #expect(throttled.status == 429)
            #expect(throttled.headers["Retry-After"] == "7")
            let recovered = try await client.execute(HTTPClient.Request(origin + "/openeo/jobs")).status
            #expect(recovered == 200)
        }
    }

    @Test func statusDependsOnTheClock() {
        let start = Date(timeIntervalSince1970: 0)
        var job = SimulatedJob(id: "j", api: .openEO, user: "u", title: nil, idempotencyKey: nil, processID: "p", created: start,
            runSeconds: 10, queueSeconds: 2, fails: false)
        #expect(job.phase(at: start) == .created)
        job.started = start
        #expect(job.phase(at: start.addingTimeInterval(1)) == .queued)
        #expect(job.phase(at: start.addingTimeInterval(7)) == .running)
        #expect(job.progress(at: start.addingTimeInterval(7)) == 50)
        #expect(job.phase(at: start.addingTimeInterval(12)) == .finished)
        job.canceled = start.addingTimeInterval(5)
        #expect(job.phase(at: start.addingTimeInterval(12)) == .canceled)
        #expect(SimulatedJob.idempotencyKey(in: "tile 7 [tilefleet:t.7.a1]") == "t.7.a1")
        #expect(SimulatorJSON.timestamp(Date(timeIntervalSince1970: 86_400 + 3_661)) == "1970-01-02T01:01:01Z")
    }

    @Test func configurationDecodesSnakeCase() throws {
        let json = #"{"duration":{"distribution":"uniform","min":1,"max":3},"failure_rate":0.1,"concurrency_limit":4,"faults":{"server_error":0.01,"slow_ms":50}}"#
        let configuration = try JSONDecoder().decode(SimulatorConfiguration.self, from: Data(json.utf8))
        #expect(configuration.concurrencyLimit == 4)
        #expect(configuration.faults.serverError == 0.01)
        #expect(configuration.faults.slowMilliseconds == 50)
        #expect(configuration.duration.sample(unit: 0.5, normal: 0) == 2)
        #expect(configuration.users == ["tilefleet": "tilefleet"])
        #expect(configuration.clockScale == 1)
    }

    @Test func aScaledClockRunsJobsThatManyTimesFaster() throws {
        let json = #"{"duration":{"distribution":"fixed","seconds":3600},"queue_seconds":60,"clock_scale":60}"#
        let configuration = try JSONDecoder().decode(SimulatorConfiguration.self, from: Data(json.utf8))
        #expect(configuration.clockScale == 60)
        let store = SimulatorStore(configuration: configuration)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let created = store.createJob(api: .openEO, user: "u", title: nil, processID: "p", now: start)
        guard case .started(let job) = store.start(created.id, user: "u", now: start) else {
            Issue.record("the job did not start")
            return
        }
        // An hour's run after a minute's queue, 60 times faster: queued for 1 s, running until 61 s.
        #expect(job.phase(at: start.addingTimeInterval(0.5)) == .queued)
        #expect(job.phase(at: start.addingTimeInterval(30)) == .running)
        #expect(job.phase(at: start.addingTimeInterval(61)) == .finished)
        for bad in ["0", "-1"] {
            #expect(throws: DecodingError.self) {
                try JSONDecoder().decode(SimulatorConfiguration.self, from: Data(#"{"clock_scale":\#(bad)}"#.utf8))
            }
        }
    }
}
