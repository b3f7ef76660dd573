import Foundation

/// A command job's status file (`status.json`), written only by its ``CommandJobSupervisor``
/// (atomically: a temporary file renamed over it) and read by the workers that poll the job.
///
/// It names the host, its boot and the supervisor's process, so a poll can tell a job whose host
/// restarted or whose supervisor was killed (it would say `running` for ever) from a live one.
public struct CommandJobRecord: Sendable, Hashable, Codable {
    /// The job's state as its supervisor last wrote it.
    public enum State: String, Sendable, Hashable, Codable {
        case running
        case finished
        case failed
        case canceled

        /// Whether the job has ended.
        public var isFinal: Bool { self != .running }
    }

    public var state: State
    /// The host the job runs on (`gethostname`).
    public var host: String
    /// `/proc/sys/kernel/random/boot_id` of that host when the supervisor started.
    public var bootID: String
    /// The supervisor's process id.
    public var supervisorPID: Int32
    /// The program's process id (leader of its own process group) once it started.
    public var programPID: Int32?
    public var startedAt: Date
    public var endedAt: Date?
    /// The program's exit status (128 + signal when a signal ended it).
    public var exitStatus: Int32?
    /// Why the job ended as it did (`exited with status 3`, `timed out after 60 s`, …).
    public var message: String?

    public init(state: State, host: String, bootID: String, supervisorPID: Int32, programPID: Int32? = nil, startedAt: Date,
                endedAt: Date? = nil, exitStatus: Int32? = nil, message: String? = nil) {
        self.state = state
        self.host = host
        self.bootID = bootID
        self.supervisorPID = supervisorPID
        self.programPID = programPID
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.exitStatus = exitStatus
        self.message = message
    }

    enum CodingKeys: String, CodingKey {
        case state, host, message
        case bootID = "boot_id"
        case supervisorPID = "supervisor_pid"
        case programPID = "program_pid"
        case startedAt = "started_at"
        case endedAt = "ended_at"
        case exitStatus = "exit_status"
    }

    /// What ended a program that exited with `status` (128 + signal for a signal), in words.
    public static func endText(exitStatus status: Int32, limits: (cpuSeconds: Int?, memoryBytes: Int?)) -> String {
        switch status {
        case 0: return "exited with status 0"
        case 128 + SIGXCPU:
            return "killed by SIGXCPU: the CPU time limit\(limits.cpuSeconds.map { " of \($0) s" } ?? "") was exceeded"
        case 128 + SIGKILL: return "killed by SIGKILL"
        case 128 + SIGSEGV: return "killed by SIGSEGV (segmentation fault\(limits.memoryBytes != nil ? "; the memory limit may have been reached" : ""))"
        case 128 + SIGABRT: return "killed by SIGABRT (aborted\(limits.memoryBytes != nil ? "; the memory limit may have been reached" : ""))"
        case 126: return "exited with status 126 (the program could not be started, or a limit could not be set)"
        case 127: return "exited with status 127 (the program was not found)"
        case 129...: return "killed by signal \(status - 128)"
        default: return "exited with status \(status)"
        }
    }
}
