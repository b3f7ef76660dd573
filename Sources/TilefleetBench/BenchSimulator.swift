import ArgumentParser
import FleetModel
import Foundation
import HTTP
import Simulator
import Timing

/// `tilefleet-bench simulator`: status-request throughput of an in-process simulator: creates jobs,
/// then sends `GET /openeo/jobs/{id}` at a fixed concurrency and reports requests/s.
struct BenchSimulator: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulator",
        abstract: "Measure the simulator's status-request throughput."
    )

    @Option(help: "Status requests to send.")
    var requests = 50_000

    @Option(help: "Requests in flight at once.")
    var concurrency = 64

    @Option(help: "Jobs to create first (status requests cycle over them).")
    var jobs = 1000

    func run() async throws {
        var configuration = SimulatorConfiguration()
        configuration.bearerTokens["bench-token"] = "bench"
        configuration.duration = .fixed(3600)
        let simulator = PlatformSimulator(configuration: configuration)
        let server = SimulatorServer(host: "127.0.0.1", port: 0) { simulator.register(on: $0) }
        let port = try await server.start()
        let client = HTTPClient()
        let base = "http://127.0.0.1:\(port)/openeo"
        let headers: HTTPClient.Headers = ["Authorization": "Bearer bench-token", "Accept": "application/json"]
        var ids: [String] = []
        for index in 0..<max(1, self.jobs) {
            var request = try HTTPClient.Request(
                base + "/jobs", method: .post,
                json: JSONValue.object([
                    "title": .string("bench [tilefleet:bench-\(index)]"),
                    "process": .object(["process_graph": .object(["n": .object(["process_id": .string("x"), "arguments": .object([:]), "result": .bool(true)])])]),
                ])
            )
            request.headers.replaceOrAdd(name: "Authorization", value: "Bearer bench-token")
            let response = try await client.execute(request)
            guard let id = response.headers["OpenEO-Identifier"] else { throw ValidationError("job creation failed: \(response.status)") }
            ids.append(id)
        }
        let requests = ids.map { HTTPClient.Request(base + "/jobs/\($0)", headers: headers) }
        for round in ["warm-up", "measured"] {
            let count = round == "warm-up" ? min(2000, self.requests) : self.requests
            let clock = ContinuousClock()
            let start = clock.now
            var failures = 0
            try await withThrowingTaskGroup(of: Bool.self) { group in
                var next = 0
                func add() {
                    let request = requests[next % requests.count]
                    next += 1
                    group.addTask { try await client.execute(request).status == 200 }
                }
                while next < min(self.concurrency, count) { add() }
                while let ok = try await group.next() {
                    if !ok { failures += 1 }
                    if next < count { add() }
                }
            }
            let seconds = (clock.now - start).inSeconds
            if round == "measured" {
                print("simulator: \(count) GET /openeo/jobs/{id} over \(ids.count) jobs, concurrency \(self.concurrency)")
                print("  throughput: \(Int(Double(count) / seconds)) status requests/s (\(String(format: "%.2f", seconds)) s), non-200: \(failures)")
            }
        }
        await client.shutdown()
        await server.stop()
    }
}
