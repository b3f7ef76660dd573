import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The directory of one command job (`<work_dir>/<name>`), shared by the worker that starts and
/// polls the job and the ``CommandJobSupervisor`` that runs it:
///
/// | file | written by | holds |
/// |---|---|---|
/// | `lock` | the first submit (`O_CREAT|O_EXCL`) | who claimed the job: a second submit of the key finds it and starts nothing |
/// | `job.json` | the submit | the ``CommandJobSpec`` |
/// | `arguments.json` | the submit | the job's arguments (`TILEFLEET_ARGUMENTS`) |
/// | `status.json` | the supervisor | the ``CommandJobRecord`` |
/// | `cancel` | a cancel | that the job was asked to stop |
/// | `stdout.log`, `stderr.log` | the program | its output: the job's log |
/// | `supervisor.log` | the supervisor | what it could not write anywhere else |
/// | `work/` | the program | its working directory |
public struct CommandJobDirectory: Sendable, Hashable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public init(workDirectory: String, idempotencyKey: String) {
        self.path = "\(workDirectory)/\(Self.name(for: idempotencyKey))"
    }

    public var lockPath: String { "\(path)/lock" }
    public var specPath: String { "\(path)/job.json" }
    public var argumentsPath: String { "\(path)/arguments.json" }
    public var statusPath: String { "\(path)/status.json" }
    public var cancelPath: String { "\(path)/cancel" }
    public var stdoutPath: String { "\(path)/stdout.log" }
    public var stderrPath: String { "\(path)/stderr.log" }
    public var supervisorLogPath: String { "\(path)/supervisor.log" }
    public var workPath: String { "\(path)/work" }

    /// A job directory's name: the idempotency key with every byte outside `[A-Za-z0-9_-]`
    /// percent-encoded (`tilefleet:t:tile:1` → `tilefleet%3At%3Atile%3A1`): one directory per key,
    /// never a path separator, a dot or a hidden name.
    public static func name(for idempotencyKey: String) -> String {
        var name = ""
        for byte in idempotencyKey.utf8 {
            let scalar = Unicode.Scalar(byte)
            if ("0"..."9").contains(scalar) || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || scalar == "-" || scalar == "_" {
                name.unicodeScalars.append(scalar)
            } else {
                name += String(format: "%%%02X", byte)
            }
        }
        return name
    }

    /// Claims the job for one start: creates `lock` exclusively. False when it exists (the job was
    /// started before, by this or another worker on a host sharing the directory).
    public func claim(note: String) throws -> Bool {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let descriptor = open(lockPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if descriptor < 0 {
            if errno == EEXIST { return false }
            throw BackendError.configuration(message: "cannot create \(lockPath): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        let bytes = Array(note.utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        return true
    }

    /// Whether the job was claimed (its directory has a `lock`).
    public var isClaimed: Bool { FileManager.default.fileExists(atPath: lockPath) }

    /// When the job was claimed.
    public var claimedAt: Date? {
        (try? FileManager.default.attributesOfItem(atPath: lockPath))?[.modificationDate] as? Date
    }

    /// The status file, nil before the supervisor wrote one; throws for one that cannot be read.
    public func record() throws -> CommandJobRecord? {
        guard let data = FileManager.default.contents(atPath: statusPath) else { return nil }
        do {
            return try Self.decoder.decode(CommandJobRecord.self, from: data)
        } catch {
            throw BackendError.invalidResponse(message: "\(statusPath) is not a command job status: \(error)")
        }
    }

    /// Writes the status file atomically (a temporary file renamed over it).
    public func write(_ record: CommandJobRecord) throws {
        try Self.encoder.encode(record).write(to: URL(fileURLWithPath: statusPath), options: .atomic)
    }

    /// The spec the submit wrote.
    public func spec() throws -> CommandJobSpec {
        guard let data = FileManager.default.contents(atPath: specPath) else {
            throw BackendError.notFound(message: "\(specPath) does not exist")
        }
        return try Self.decoder.decode(CommandJobSpec.self, from: data)
    }

    /// Writes the spec (before the supervisor starts).
    public func write(_ spec: CommandJobSpec) throws {
        try Self.encoder.encode(spec).write(to: URL(fileURLWithPath: specPath), options: .atomic)
    }

    /// Whether a cancel was asked for.
    public var cancelRequested: Bool { FileManager.default.fileExists(atPath: cancelPath) }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    /// This host's name, as job ids and status files name it.
    public static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(cString: buffer)
    }

    /// This boot of the host (`/proc/sys/kernel/random/boot_id`): it changes when the host restarts.
    public static func bootID() -> String {
        (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "unknown"
    }
}
