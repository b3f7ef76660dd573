import ArgumentParser
import Backends
import Foundation

/// `tilefleet command-job DIR`: the detached supervisor of one command job, started by a worker
/// (not by hand): runs the program of `DIR/job.json` and keeps `DIR/status.json`.
struct CommandJobCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "command-job",
        abstract: "Supervise one command job (started by workers of a command backend).",
        shouldDisplay: false
    )

    @Argument(help: "The job's directory (<work_dir>/<job>).")
    var directory: String

    func run() throws {
        guard FileManager.default.fileExists(atPath: "\(directory)/job.json") else {
            throw ValidationError("\(directory)/job.json: no such file (not a command job directory)")
        }
        do {
            try CommandJobSupervisor(directory: CommandJobDirectory(path: directory)).run()
        } catch {
            FileHandle.standardError.write(Data("tilefleet command-job: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
