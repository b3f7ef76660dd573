import ArgumentParser

/// `tilefleet bench …`: the measurements behind docs/benchmarks.md.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure throughput of the fleet's parts on this machine.",
        subcommands: [BenchAMQP.self, BenchPostgres.self, BenchRecorder.self, BenchMessages.self, BenchHTTP.self, BenchTiles.self, BenchSubmit.self, BenchWorker.self]
    )
}
