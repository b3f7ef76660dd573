import ArgumentParser
import FleetModel
import Foundation
import HTTP
import Simulator
import Timing

/// `tilefleet bench http`: GET throughput and latency of the HTTP client, against the in-process
/// simulator server (or any `--url`).
struct BenchHTTP: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http",
        abstract: "Measure HTTP client throughput and latency (GETs at a fixed concurrency)."
    )

    @Option(help: "Number of GET requests.")
    var requests: Int = 20_000

    @Option(help: "Requests in flight at once.")
    var concurrency: Int = 100

    @Option(help: "URL to GET instead of the in-process simulator server's /hello.")
    var url: String?

    func validate() throws {
        guard self.requests > 0, self.concurrency > 0 else {
            throw ValidationError("--requests and --concurrency must be positive")
        }
    }

    func run() async throws {
        var server: SimulatorServer?
        let target: String
        if let url = self.url {
            target = url
        } else {
            let routes = DiagnosticRoutes()
            let started = SimulatorServer { routes.register(on: $0) }
            let port = try await started.start()
            server = started
            target = "http://127.0.0.1:\(port)/hello"
        }
        let client = HTTPClient()

        _ = try await self.measure(client: client, url: target, count: min(self.requests, 500))
        let result = try await self.measure(client: client, url: target, count: self.requests)
        await client.shutdown()
        await server?.stop()

        let latencies = result.latencies.sorted()
        let seconds = result.elapsed.inSeconds
        print("http: \(self.requests) GETs of \(target), concurrency \(self.concurrency)")
        print("  throughput: \(Self.format(Double(self.requests) / seconds)) requests/s (\(Self.format(seconds)) s)")
        print("  latency: p50 \(Self.milliseconds(Self.percentile(latencies, 0.50))) ms, p99 \(Self.milliseconds(Self.percentile(latencies, 0.99))) ms, max \(Self.milliseconds(latencies.last ?? .zero)) ms")
        if result.failures > 0 {
            print("  non-2xx responses: \(result.failures)")
        }
    }

    private struct Measurement {
        var elapsed: Duration
        var latencies: [Duration]
        var failures: Int
    }

    /// `count` GETs with at most `concurrency` in flight; each latency is measured from submission.
    private func measure(client: HTTPClient, url: String, count: Int) async throws -> Measurement {
        let clock = ContinuousClock()
        let request = HTTPClient.Request(url)
        let start = clock.now
        var latencies: [Duration] = []
        latencies.reserveCapacity(count)
        var failures = 0
        try await withThrowingTaskGroup(of: (Duration, Bool).self) { group in
            var submitted = 0
            func submit() {
                group.addTask {
                    let begin = clock.now
                    let response = try await client.execute(request)
                    return (clock.now - begin, response.isSuccess)
                }
                submitted += 1
            }
            while submitted < min(self.concurrency, count) {
                submit()
            }
            while let (latency, ok) = try await group.next() {
                latencies.append(latency)
                if !ok { failures += 1 }
                if submitted < count {
                    submit()
                }
            }
        }
        return Measurement(elapsed: clock.now - start, latencies: latencies, failures: failures)
    }

    private static func percentile(_ sorted: [Duration], _ fraction: Double) -> Duration {
        guard !sorted.isEmpty else { return .zero }
        let index = min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)
        return sorted[max(0, index)]
    }

    private static func milliseconds(_ duration: Duration) -> String {
        format(duration.inSeconds * 1000)
    }

    private static func format(_ value: Double) -> String {
        String(format: value >= 100 ? "%.0f" : "%.2f", value)
    }
}
