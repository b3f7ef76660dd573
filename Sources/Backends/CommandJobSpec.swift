import ChildProcess
import Foundation

/// What a command job runs: written by ``CommandBackend/submit(_:idempotencyKey:)`` into the job's
/// directory (`job.json`) before its supervisor starts, read by the ``CommandJobSupervisor``.
public struct CommandJobSpec: Sendable, Hashable, Codable {
    /// The program and its arguments.
    public var arguments: [String]
    /// Variables set for the program on top of the supervisor's environment.
    public var environment: [String: String]
    /// Where the program's result files go (`TILEFLEET_OUTPUT_DIR`).
    public var outputDirectory: String
    /// Wall-clock limit in seconds.
    public var timeoutSeconds: Double
    /// CPU time and memory, set in the program's process.
    public var limits: ChildProcess.Limits

    public init(arguments: [String], environment: [String: String], outputDirectory: String, timeoutSeconds: Double, limits: ChildProcess.Limits) {
        self.arguments = arguments
        self.environment = environment
        self.outputDirectory = outputDirectory
        self.timeoutSeconds = timeoutSeconds
        self.limits = limits
    }

    enum CodingKeys: String, CodingKey {
        case arguments, environment, limits
        case outputDirectory = "output_dir"
        case timeoutSeconds = "timeout_seconds"
    }
}
