import Foundation
import Yams

/// The settings of a `kind: command` backend: programs run per tile on the workers' own hosts.
///
/// ```yaml
/// backends:
///   - name: local
///     kind: command
///     max_active: 8                  # fleet-wide
///     command:
///       work_dir: /var/lib/tilefleet/jobs   # one directory per job: status, logs, the program's working directory
///       output_dir: /srv/results            # the tile's result files (default: <work_dir>/<job>/output)
///       max_per_host: 2
///       timeout: 2h
///       limits: { cpu_time: 1h, memory: 2GiB }
/// ```
public struct CommandSettings: Sendable, Hashable {
    /// Absolute directory holding one directory per job.
    public var workDirectory: String
    /// Absolute directory under which each job's result files go (one directory per job); nil: the
    /// job's own directory.
    public var outputDirectory: String?
    /// Jobs one host runs at once; a submit beyond it is "try later" (another host may take it).
    public var maxPerHost: Int
    /// Wall-clock limit of one program run; the program is killed beyond it and the attempt fails.
    public var timeout: Duration
    /// CPU time limit (`RLIMIT_CPU`) of the program.
    public var cpuTime: Duration?
    /// Address-space limit (`RLIMIT_AS`) of the program, in bytes.
    public var memoryBytes: Int?
    /// The program that supervises a job (`<supervisor> command-job <dir>`); nil: this executable.
    public var supervisor: String?

    public init(workDirectory: String, outputDirectory: String? = nil, maxPerHost: Int = 2, timeout: Duration = .seconds(3600),
                cpuTime: Duration? = nil, memoryBytes: Int? = nil, supervisor: String? = nil) {
        self.workDirectory = workDirectory
        self.outputDirectory = outputDirectory
        self.maxPerHost = maxPerHost
        self.timeout = timeout
        self.cpuTime = cpuTime
        self.memoryBytes = memoryBytes
        self.supervisor = supervisor
    }

    static let keys: Set<String> = ["work_dir", "output_dir", "max_per_host", "timeout", "limits", "supervisor"]

    /// Reads the `command:` mapping of a backend; problems go to `reader`.
    static func read(_ node: Node?, _ path: String, reader: ConfigReader) -> CommandSettings? {
        guard let node else {
            reader.report(path, "is required for a command backend (at least work_dir)")
            return nil
        }
        guard let members = reader.mapping(node, path, allowed: keys) else { return nil }
        let problemsBefore = reader.problems.count
        func directory(_ key: String, required: Bool) -> String? {
            guard let value = reader.string(members[key], ConfigReader.child(path, key), required: required) else { return nil }
            guard value.hasPrefix("/") else {
                reader.report(ConfigReader.child(path, key), "expected an absolute directory path, got '\(value)'", members[key])
                return nil
            }
            return value.count > 1 && value.hasSuffix("/") ? String(value.dropLast()) : value
        }
        var settings = CommandSettings(workDirectory: directory("work_dir", required: true) ?? "")
        settings.outputDirectory = directory("output_dir", required: false)
        if let value = reader.int(members["max_per_host"], ConfigReader.child(path, "max_per_host"), minimum: 1) { settings.maxPerHost = value }
        if let value = reader.duration(members["timeout"], ConfigReader.child(path, "timeout")) { settings.timeout = value }
        if let value = reader.string(members["supervisor"], ConfigReader.child(path, "supervisor")) {
            if value.hasPrefix("/") {
                settings.supervisor = value
            } else {
                reader.report(ConfigReader.child(path, "supervisor"), "expected the absolute path of the tilefleet executable, got '\(value)'", members["supervisor"])
            }
        }
        let limitsPath = ConfigReader.child(path, "limits")
        if let limits = reader.mapping(members["limits"], limitsPath, allowed: ["cpu_time", "memory"]) {
            if let value = reader.duration(limits["cpu_time"], ConfigReader.child(limitsPath, "cpu_time")) {
                if value < .seconds(1) {
                    reader.report(ConfigReader.child(limitsPath, "cpu_time"), "must be at least 1s (the kernel counts whole seconds)", limits["cpu_time"])
                } else {
                    settings.cpuTime = value
                }
            }
            if let text = reader.string(limits["memory"], ConfigReader.child(limitsPath, "memory")) {
                if let bytes = Self.parseBytes(text), bytes >= 1 << 20 {
                    settings.memoryBytes = bytes
                } else {
                    reader.report(ConfigReader.child(limitsPath, "memory"),
                                  "expected a size of at least 1MiB such as 512MiB, 2GiB or 2G (got '\(text)')", limits["memory"])
                }
            }
        }
        return reader.problems.count == problemsBefore ? settings : nil
    }

    /// Bytes of `512MiB`, `2GiB`, `2G`, `1500M`, `64KiB` or a plain number of bytes (binary units
    /// either way: `2G` is 2 GiB); nil for anything else.
    public static func parseBytes(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let units: [(String, Int)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("TiB", 1 << 40),
                                      ("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30), ("T", 1 << 40), ("B", 1)]
        for (suffix, factor) in units where trimmed.hasSuffix(suffix) {
            guard let number = Double(trimmed.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)),
                  number.isFinite, number > 0, number * Double(factor) < Double(Int.max) else { return nil }
            return Int(number * Double(factor))
        }
        guard let number = Int(trimmed), number > 0 else { return nil }
        return number
    }
}
