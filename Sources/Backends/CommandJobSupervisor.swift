import ChildProcess
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs one command job to its end, detached from the worker that started it
/// (`tilefleet command-job <dir>`): starts the program with its working directory, environment and
/// limits, kills it at the timeout or on a cancel, and keeps `status.json` saying where the job
/// stands. Workers only read that file, so a worker may stop, restart or hand the job's polls to
/// another worker on the host while the program runs.
public struct CommandJobSupervisor: Sendable {
    public let directory: CommandJobDirectory
    /// How often the program is checked (and the cancel file looked for).
    public var checkInterval: Duration = .milliseconds(100)

    public init(directory: CommandJobDirectory) {
        self.directory = directory
    }

    /// Runs the job; returns the state it ended in. Blocks the calling thread (the supervisor is a
    /// process of its own). Throws only when not even the status file can be written.
    @discardableResult
    public func run() throws -> CommandJobRecord.State {
        var record = CommandJobRecord(state: .running, host: CommandJobDirectory.hostName(), bootID: CommandJobDirectory.bootID(),
                                      supervisorPID: getpid(), startedAt: Date())
        func end(_ state: CommandJobRecord.State, _ message: String, exitStatus: Int32? = nil) throws -> CommandJobRecord.State {
            record.state = state
            record.message = message
            record.exitStatus = exitStatus
            record.endedAt = Date()
            try directory.write(record)
            return state
        }
        try directory.write(record)
        let spec: CommandJobSpec
        do {
            spec = try directory.spec()
        } catch {
            return try end(.failed, "cannot read the job's spec: \(error)")
        }
        guard !spec.arguments.isEmpty else { return try end(.failed, "the job has no program to run") }
        if directory.cancelRequested { return try end(.canceled, "canceled before the program started") }
        do {
            try FileManager.default.createDirectory(atPath: directory.workPath, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: spec.outputDirectory, withIntermediateDirectories: true)
        } catch {
            return try end(.failed, "cannot create the working or output directory: \(error)")
        }
        let program: ChildProcess
        do {
            program = try ChildProcess.spawn(spec.arguments, environment: spec.environment, outputPath: directory.stdoutPath,
                                             errorPath: directory.stderrPath, workingDirectory: directory.workPath,
                                             limits: spec.limits, ownProcessGroup: true)
        } catch {
            return try end(.failed, error.description)
        }
        record.programPID = program.pid
        try directory.write(record)

        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(Int64(spec.timeoutSeconds * 1000))
        var stopped: (state: CommandJobRecord.State, message: String)?
        while true {
            if let status = program.exitStatusIfEnded() {
                program.signalGroup(SIGKILL)  // what the program left running in its group ends with it
                if let stopped { return try end(stopped.state, stopped.message, exitStatus: status) }
                let text = CommandJobRecord.endText(exitStatus: status, limits: (spec.limits.cpuSeconds, spec.limits.memoryBytes))
                return try end(status == 0 ? .finished : .failed, text, exitStatus: status)
            }
            if stopped == nil {
                if directory.cancelRequested {
                    stopped = (.canceled, "canceled: the program was stopped")
                    program.signalGroup(SIGKILL)
                } else if clock.now >= deadline {
                    stopped = (.failed, "timed out: killed after \(Self.seconds(spec.timeoutSeconds)) (command.timeout)")
                    program.signalGroup(SIGKILL)
                }
            }
            usleep(UInt32(checkInterval.components.attoseconds / 1_000_000_000_000) + UInt32(checkInterval.components.seconds * 1_000_000))
        }
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : String(format: "%.1f s", value)
    }
}
