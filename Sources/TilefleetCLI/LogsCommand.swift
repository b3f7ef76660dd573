import ArgumentParser
import Backends
import FleetConfig
import Foundation
import HTTP
import Logging
import Storage

/// `tilefleet logs TASK TILE [--attempt N]`: the full log of a tile's backend job, fetched from the
/// backend (the stored error keeps only its error lines).
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Print the full log of a tile's backend job, fetched from the backend (OGC API – Processes keeps none).")

    @Argument(help: "The task id.")
    var task: String

    @Argument(help: "The tile id.")
    var tile: String

    @Option(help: "The attempt (default: the tile's current one).")
    var attempt: Int?

    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        if let attempt, attempt < 1 { throw ValidationError("--attempt must be at least 1, not \(attempt)") }
    }

    func run() async throws {
        // Connections are closed before returning, not in detached tasks racing the process's exit.
        let database = try await CoordinatorSupport.database(connection)
        let job: TaskStore.AttemptJob
        do {
            job = try await TaskStore(connection: database).attemptJob(task: task, tile: tile, attempt: attempt)
        } catch let error as TaskStoreError {
            await database.close()
            CoordinatorSupport.printError(error.description)
            throw ExitCode(2)
        } catch {
            await database.close()
            throw error
        }
        await database.close()
        guard let jobID = job.jobID else {
            CoordinatorSupport.printError("tile \(tile) of task \(task) has no backend job for attempt \(job.attempt) (yet)")
            throw ExitCode(1)
        }
        let configured: BackendConfiguration
        do {
            configured = try connection.fleetConfiguration().backend(named: job.backend)
        } catch {
            CoordinatorSupport.printError("\(error)")
            throw ExitCode(2)
        }
        let logger = CoordinatorSupport.quietLogger
        let client = HTTPClient(configuration: .init(timeout: configured.requestTimeout))
        let entries: [BackendLogEntry]
        do {
            entries = try await configured.makeBackend(client: client, logger: logger).logs(of: jobID)
            await client.shutdown()
        } catch {
            await client.shutdown()
            CoordinatorSupport.printError("logs of job \(jobID) (tile \(tile), attempt \(job.attempt)) on \(job.backend): \(error)")
            throw ExitCode(error is BackendError ? 1 : 2)
        }
        CoordinatorSupport.printError("job \(jobID) on \(job.backend), tile \(tile), attempt \(job.attempt): \(entries.count) log entries")
        for entry in entries {
            print([entry.time ?? "-", (entry.level ?? "-").uppercased(), Self.printable(entry.message)].joined(separator: " "))
        }
    }

    /// `text` without control characters other than line breaks and tabs: a backend's log must not
    /// drive the terminal.
    static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map {
            $0.properties.generalCategory == .control && $0 != "\n" && $0 != "\t" ? "?" : $0
        }))
    }
}
