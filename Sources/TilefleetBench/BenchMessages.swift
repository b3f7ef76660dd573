import ArgumentParser
import FleetModel
import Foundation
import Timing

/// `tilefleet bench messages`: how fast status events are encoded (by workers) and decoded and
/// validated (by the recorder), the CPU each event costs before it reaches the broker or the database.
struct BenchMessages: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "messages",
        abstract: "Time encoding and decoding status events."
    )

    @Option(help: "Events per run.")
    var events = 100_000

    @Option(help: "Runs; the best is reported.")
    var runs = 3

    func run() async throws {
        let time = Date(timeIntervalSince1970: 1_780_000_000)
        let sample = (0..<events).map { i in
            StatusEvent(task: "vienna-pv-20261121", tile: "32633-E\(580 + i % 40)-N\(5320 + i / 40 % 40)", attempt: 1,
                        status: .running, rawStatus: "running", backend: "openeo-cdse", backendJobID: "j-\(i)",
                        progress: 0.5, worker: "worker-7:4242", time: time.addingTimeInterval(Double(i) / 1000))
        }
        let bodies = sample.map { $0.encoded() }
        let clock = ContinuousClock()
        var bestEncode = Duration.seconds(1_000), bestDecode = Duration.seconds(1_000)
        for _ in 0..<runs {
            var bytes = 0
            let encodeStart = clock.now
            for event in sample { bytes &+= event.encoded().count }
            bestEncode = min(bestEncode, clock.now - encodeStart)
            let decodeStart = clock.now
            var decoded = 0
            for body in bodies where (try? StatusEvent.decode(body)) != nil { decoded += 1 }
            bestDecode = min(bestDecode, clock.now - decodeStart)
            guard decoded == events, bytes > 0 else { throw ValidationError("decoding lost events: \(decoded) of \(events)") }
        }
        let size = bodies.map(\.count).reduce(0, +) / max(1, bodies.count)
        print("status event, \(size) bytes as JSON (\(events) events, best of \(runs)):")
        print("  encode: \(BenchReport.format(Double(events) / bestEncode.inSeconds)) events/s (\(perEvent(bestEncode)) µs each)")
        print("  decode and validate: \(BenchReport.format(Double(events) / bestDecode.inSeconds)) events/s (\(perEvent(bestDecode)) µs each)")
    }

    private func perEvent(_ duration: Duration) -> String {
        String(format: "%.1f", duration.inSeconds * 1_000_000 / Double(events))
    }
}
