import ArgumentParser
import Foundation
import Geo
import HTTP
import Simulator
import Yams

/// `tilefleet simulate`: the bundled openEO + OGC API – Processes simulator as a real HTTP server, or
/// (`--bench`) a measurement of its status-request throughput.
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run a simulated openEO / OGC API – Processes platform (no credentials needed).",
        discussion: """
            openEO at /openeo, OGC API – Processes at /ogc, an OIDC provider at /oidc, result files at \
            /assets, statistics at GET /_simulator/stats (jobs per idempotency key, peak active jobs per \
            user), scripted faults at POST /_simulator/faults. Default user: tilefleet / tilefleet.
            """
    )

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0: any free port).")
    var port = 8080

    @Option(help: "A simulator config file (YAML or JSON); flags override it.")
    var config: String?

    @Option(help: "Fixed job run time in seconds.")
    var duration: Double?

    @Option(help: "Uniform job run time: minimum seconds (with --duration-max).")
    var durationMin: Double?

    @Option(help: "Uniform job run time: maximum seconds.")
    var durationMax: Double?

    @Option(help: "Seconds a started job stays queued.")
    var queueSeconds: Double?

    @Option(help: "Share of jobs that fail (0…1).")
    var failureRate: Double?

    @Option(help: "Jobs one user may have queued or running at once (429 ConcurrentJobLimit beyond).")
    var concurrencyLimit: Int?

    @Option(name: .customLong("fault-5xx"), help: "Share of API requests answered 500/502/503/504.")
    var fault5xx: Double?

    @Option(name: .customLong("fault-429"), help: "Share of API requests answered 429 with Retry-After.")
    var fault429: Double?

    @Option(help: "Share of API requests answered slowly (--slow-ms).")
    var faultSlow: Double?

    @Option(help: "Delay of a slow answer, milliseconds.")
    var slowMs: Int?

    @Option(help: "Share of API requests answered with malformed JSON.")
    var faultMalformed: Double?

    @Option(help: "Share of API requests whose connection is reset after handling.")
    var faultReset: Double?

    @Option(help: "Seed for reproducible durations, failures and faults.")
    var seed: UInt64?

    @Flag(help: "Accept requests without credentials.")
    var noAuth = false

    @Flag(help: "Measure status-request throughput against an in-process simulator, then exit.")
    var bench = false

    @Option(help: "--bench: status requests to send.")
    var benchRequests = 50_000

    @Option(help: "--bench: requests in flight at once.")
    var benchConcurrency = 64

    @Option(help: "--bench: jobs to create first (status requests cycle over them).")
    var benchJobs = 1000

    func run() async throws {
        var configuration = try self.configurationFromFileAndFlags()
        if self.bench {
            configuration.bearerTokens["bench-token"] = "bench"
            configuration.duration = .fixed(3600)
            try await self.runBench(configuration)
            return
        }
        let simulator = PlatformSimulator(configuration: configuration)
        let server = SimulatorServer(host: self.host, port: self.port) { simulator.register(on: $0) }
        let port = try await server.start()
        print("tilefleet simulator listening on http://\(self.host):\(port)")
        print("  openEO:  http://\(self.host):\(port)/openeo   (basic: \(configuration.users.keys.sorted().joined(separator: ", ")))")
        print("  OGC API: http://\(self.host):\(port)/ogc")
        print("  stats:   http://\(self.host):\(port)/_simulator/stats")
        while true {
            try await Task.sleep(for: .seconds(3600))
        }
    }

    func configurationFromFileAndFlags() throws -> SimulatorConfiguration {
        var configuration = SimulatorConfiguration()
        if let path = self.config {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ValidationError("cannot read the simulator config \(path)")
            }
            do {
                configuration = try YAMLDecoder().decode(SimulatorConfiguration.self, from: String(decoding: data, as: UTF8.self))
            } catch {
                throw ValidationError("invalid simulator config \(path): \(error)")
            }
        }
        if let duration { configuration.duration = .fixed(duration) }
        if let durationMin, let durationMax {
            guard durationMin <= durationMax else { throw ValidationError("--duration-min must not exceed --duration-max") }
            configuration.duration = .init(distribution: "uniform", seconds: nil, min: durationMin, max: durationMax)
        }
        if let queueSeconds { configuration.queueSeconds = queueSeconds }
        if let failureRate { configuration.failureRate = failureRate }
        if let concurrencyLimit { configuration.concurrencyLimit = concurrencyLimit }
        if let fault5xx { configuration.faults.serverError = fault5xx }
        if let fault429 { configuration.faults.throttle = fault429 }
        if let faultSlow { configuration.faults.slow = faultSlow }
        if let slowMs { configuration.faults.slowMilliseconds = slowMs }
        if let faultMalformed { configuration.faults.malformedJSON = faultMalformed }
        if let faultReset { configuration.faults.reset = faultReset }
        if let seed { configuration.seed = seed }
        if self.noAuth { configuration.requireAuth = false }
        for (name, rate) in [("failure rate", configuration.failureRate), ("5xx", configuration.faults.serverError), ("429", configuration.faults.throttle),
            ("slow", configuration.faults.slow), ("malformed", configuration.faults.malformedJSON), ("reset", configuration.faults.reset)]
        where !(0...1).contains(rate) {
            throw ValidationError("the \(name) rate must be between 0 and 1")
        }
        return configuration
    }

    /// Creates jobs, then sends `GET /openeo/jobs/{id}` at a fixed concurrency and reports requests/s.
    func runBench(_ configuration: SimulatorConfiguration) async throws {
        let simulator = PlatformSimulator(configuration: configuration)
        let server = SimulatorServer(host: "127.0.0.1", port: 0) { simulator.register(on: $0) }
        let port = try await server.start()
        let client = HTTPClient()
        let base = "http://127.0.0.1:\(port)/openeo"
        let headers: HTTPClient.Headers = ["Authorization": "Bearer bench-token", "Accept": "application/json"]
        var ids: [String] = []
        for index in 0..<max(1, self.benchJobs) {
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
            let count = round == "warm-up" ? min(2000, self.benchRequests) : self.benchRequests
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
                while next < min(self.benchConcurrency, count) { add() }
                while let ok = try await group.next() {
                    if !ok { failures += 1 }
                    if next < count { add() }
                }
            }
            let seconds = (clock.now - start).seconds
            if round == "measured" {
                print("simulator: \(count) GET /openeo/jobs/{id} over \(ids.count) jobs, concurrency \(self.benchConcurrency)")
                print("  throughput: \(Int(Double(count) / seconds)) status requests/s (\(String(format: "%.2f", seconds)) s), non-200: \(failures)")
            }
        }
        await client.shutdown()
        await server.stop()
    }
}
