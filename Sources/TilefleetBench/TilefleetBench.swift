import ArgumentParser
import Foundation

/// `tilefleet-bench`: the measurements behind docs/benchmarks.md, kept out of the `tilefleet`
/// that operators install (`swift build --product tilefleet-bench`; `make bench` runs them).
@main
struct TilefleetBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tilefleet-bench",
        abstract: "Measure throughput of the fleet's parts on this machine.",
        subcommands: [
            BenchAMQP.self, BenchPostgres.self, BenchRecorder.self, BenchMessages.self, BenchHTTP.self,
            BenchTiles.self, BenchSubmit.self, BenchWorker.self, BenchSimulator.self, BenchRedelivery.self, BenchCallbacks.self,
            BenchEstimate.self, BenchPolls.self, BenchSizing.self,
        ]
    )

    /// The `tilefleet` executable beside this one, which the fleet benchmarks start as workers.
    static func tilefleetExecutable() -> String {
        let own = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: own).deletingLastPathComponent().appendingPathComponent("tilefleet").path
    }
}
