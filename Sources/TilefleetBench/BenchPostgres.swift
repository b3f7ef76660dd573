import ArgumentParser
import FleetModel
import Foundation
import Postgres
import Timing

/// `tilefleet bench postgres`: COPY FROM STDIN throughput of the Postgres wrapper.
struct BenchPostgres: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postgres",
        abstract: "Measure COPY … FROM STDIN rows/s into a scratch table."
    )

    @Option(help: "Database URL (default: $TILEFLEET_DATABASE_URL).")
    var url: String?

    @Option(help: "Rows per run.")
    var rows = 1_000_000

    @Option(help: "Runs; the best and the median are reported.")
    var runs = 5

    @Option(help: "COPY chunk size in KiB.")
    var chunkKiB = 64

    @Flag(help: "Copy into an UNLOGGED table (no WAL), to see the wrapper's ceiling rather than the disk's.")
    var unlogged = false

    func run() async throws {
        let url = try self.url ?? ProcessInfo.processInfo.environment["TILEFLEET_DATABASE_URL"]
            ?? { throw ValidationError("no database URL: pass --url or set TILEFLEET_DATABASE_URL") }()
        let db = try await PostgresConnection.connect(to: url)
        let table = "bench_copy_\(getpid())"
        try await db.executeScript("""
            CREATE \(unlogged ? "UNLOGGED " : "")TABLE \(table) (id bigint, tile text, status text, progress float8)
            """)
        var encodeRates: [Double] = []
        var copyRates: [Double] = []
        for _ in 0..<runs {
            try await db.executeScript("TRUNCATE \(table)")
            let clock = ContinuousClock()
            let start = clock.now
            var buffer = PostgresCopyBuffer(chunkSize: chunkKiB * 1024)
            for i in 0..<rows {
                buffer.appendField(i, first: true)
                buffer.appendField("32633-E\(400 + i % 1000)-N5320")
                buffer.appendField(i % 7 == 0 ? "failed" : "finished")
                buffer.appendField(Double(i % 100) / 100)
                buffer.finishRow()
            }
            let encoded = clock.now
            let copied = try await db.copyIn("COPY \(table) (id, tile, status, progress) FROM STDIN", buffer)
            let done = clock.now
            guard copied == rows else { throw ValidationError("copied \(copied) rows, expected \(rows)") }
            encodeRates.append(Double(rows) / (encoded - start).inSeconds)
            copyRates.append(Double(rows) / (done - start).inSeconds)
        }
        try await db.executeScript("DROP TABLE \(table)")
        await db.close()
        print(BenchReport.line("postgres copy into \(unlogged ? "an unlogged" : "a logged") table (encode + COPY)", unit: "rows/s", samples: copyRates))
        print(BenchReport.line("postgres copy (encode only)", unit: "rows/s", samples: encodeRates))
    }
}
