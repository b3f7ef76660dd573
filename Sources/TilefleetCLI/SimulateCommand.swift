import ArgumentParser
import FleetConfig
import Foundation
import Simulator
import Yams

/// `tilefleet simulate`: the bundled openEO + OGC API – Processes simulator as a real HTTP server.
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run a simulated openEO / OGC API – Processes platform (no credentials needed).",
        discussion: """
            openEO at /openeo, OGC API – Processes at /ogc, an OIDC provider at /oidc, result files at \
            /assets (with the same login, as on openeo-driver), statistics at GET /_simulator/stats (jobs per idempotency key, peak active jobs per \
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

    @Option(help: "Simulated seconds per real second: --duration and --queue-seconds pass this many times faster (benchmarks of long jobs).")
    var clockScale: Double?

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

    @Flag(help: "Play a hostile platform: openEO results also link file:, javascript: and a name that tries to leave the download directory.")
    var hostileAssets = false

    func validate() throws {
        try OptionRange.requirePort(port, "--port")
        for (value, option) in [(duration, "--duration"), (durationMin, "--duration-min"), (durationMax, "--duration-max"), (queueSeconds, "--queue-seconds")] {
            try OptionRange.requireFinite(value, option, atLeast: 0)
        }
        if let clockScale, !(clockScale.isFinite && clockScale > 0) {
            throw ValidationError("--clock-scale must be a number above 0, not \(clockScale)")
        }
        for (value, option) in [(failureRate, "--failure-rate"), (fault5xx, "--fault-5xx"), (fault429, "--fault-429"), (faultSlow, "--fault-slow"),
                                (faultMalformed, "--fault-malformed"), (faultReset, "--fault-reset")] {
            try OptionRange.requireShare(value, option)
        }
        if let concurrencyLimit { try OptionRange.require(concurrencyLimit, "--concurrency-limit", atLeast: 1) }
        if let slowMs { try OptionRange.require(slowMs, "--slow-ms", atLeast: 0) }
    }

    func run() async throws {
        let configuration = try self.configurationFromFileAndFlags()
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
            let text: String
            do {
                text = try FileAccess.loadText(path)
            } catch {
                throw ValidationError("\(path): cannot read the simulator config: \(error.reason)")
            }
            do {
                configuration = try YAMLDecoder().decode(SimulatorConfiguration.self, from: text)
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
        if let clockScale { configuration.clockScale = clockScale }
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
        if self.hostileAssets { configuration.hostileAssets = true }
        for (name, rate) in [("failure rate", configuration.failureRate), ("5xx", configuration.faults.serverError), ("429", configuration.faults.throttle),
            ("slow", configuration.faults.slow), ("malformed", configuration.faults.malformedJSON), ("reset", configuration.faults.reset)]
        where !(0...1).contains(rate) {
            throw ValidationError("the \(name) rate must be between 0 and 1")
        }
        return configuration
    }
}
