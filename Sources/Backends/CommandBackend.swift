import ChildProcess
import FleetConfig
import FleetModel
import Foundation
import Timing
#if canImport(Glibc)
import Glibc
#endif

/// A `command` backend: each job is a program run on the worker's own host, in a directory of its
/// own (``CommandJobDirectory``), by a detached ``CommandJobSupervisor`` that keeps a status file.
///
/// A job lives as a job, not as a held delivery: `submit` claims the job's directory (an exclusive
/// `lock` file per idempotency key, so a redelivered item never starts it twice on one host),
/// writes what to run and starts the supervisor, which outlives the worker; `status` reads the
/// status file through the usual poll items. The job id is `<host>/<directory name>`: the worker
/// routes the job's polls and cancels to that host's queue. A job whose host restarted or whose
/// supervisor vanished is `failed`, so the attempt is retried. At most `max_per_host` jobs run on a
/// host at once; a submit beyond it is "try later", so another host may take the item.
public struct CommandBackend: Backend, Sendable {
    public let name: String
    public let settings: CommandSettings
    /// The executable started as `<supervisor> command-job <dir>`.
    public let supervisor: String
    /// This host, as job ids name it.
    public let host: String
    /// How long a claimed job may go without a status file before it counts as never started.
    public var startGrace: Duration = .seconds(60)

    public init(name: String, settings: CommandSettings, host: String = CommandJobDirectory.hostName()) {
        self.name = name
        self.settings = settings
        self.supervisor = settings.supervisor ?? Self.currentExecutable()
        self.host = host
    }

    // MARK: Job ids

    /// `<host>/<directory name>`.
    public static func jobID(host: String, idempotencyKey: String) -> String {
        "\(host)/\(CommandJobDirectory.name(for: idempotencyKey))"
    }

    /// The host and directory name of a job id; nil for an id that is not a command job's.
    public static func parse(jobID: String) -> (host: String, name: String)? {
        guard let slash = jobID.firstIndex(of: "/") else { return nil }
        let host = String(jobID[..<slash]), name = String(jobID[jobID.index(after: slash)...])
        guard !host.isEmpty, !name.isEmpty, !name.contains("/"), name != ".", name != ".." else { return nil }
        return (host, name)
    }

    func directory(of jobID: String) throws -> (host: String, directory: CommandJobDirectory) {
        guard let (host, name) = Self.parse(jobID: jobID) else {
            throw BackendError.notFound(message: "'\(jobID)' is not a command job id (<host>/<name>)")
        }
        return (host, CommandJobDirectory(path: "\(settings.workDirectory)/\(name)"))
    }

    func outputDirectory(of directory: CommandJobDirectory) -> String {
        guard let root = settings.outputDirectory else { return "\(directory.path)/output" }
        return "\(root)/\((directory.path as NSString).lastPathComponent)"
    }

    // MARK: Backend

    public func submit(_ job: BackendJob, idempotencyKey: String) async throws -> String {
        guard case .command(let arguments) = job.process, !arguments.isEmpty else {
            throw BackendError.configuration(message: "a command backend runs a program: the task's service needs command: [program, arguments…]")
        }
        let directory = CommandJobDirectory(workDirectory: settings.workDirectory, idempotencyKey: idempotencyKey)
        let id = Self.jobID(host: host, idempotencyKey: idempotencyKey)
        do {
            try FileManager.default.createDirectory(atPath: settings.workDirectory, withIntermediateDirectories: true)
        } catch {
            throw BackendError.configuration(message: "cannot create command.work_dir \(settings.workDirectory): \(error.localizedDescription)")
        }
        return try await withHostLock {
            if directory.isClaimed { return try claimedID(directory) ?? id }
            let active = activeJobs()
            guard active < settings.maxPerHost else {
                throw BackendError.tryLater(retryAfter: nil, message: "\(active) command jobs run on \(host), its limit (command.max_per_host: \(settings.maxPerHost))",
                                            jobID: nil)
            }
            guard try directory.claim(note: "\(host)\n\(getpid())\n\(Date())\n") else { return try claimedID(directory) ?? id }
            let output = outputDirectory(of: directory)
            var environment = Self.environment(for: job.arguments)
            environment["TILEFLEET_JOB_ID"] = id
            environment["TILEFLEET_IDEMPOTENCY_KEY"] = idempotencyKey
            environment["TILEFLEET_OUTPUT_DIR"] = output
            environment["TILEFLEET_ARGUMENTS"] = directory.argumentsPath
            let spec = CommandJobSpec(arguments: arguments, environment: environment, outputDirectory: output,
                                      timeoutSeconds: Double(settings.timeout.components.seconds),
                                      limits: ChildProcess.Limits(cpuSeconds: settings.cpuTime.map { Int($0.components.seconds) },
                                                                  memoryBytes: settings.memoryBytes))
            do {
                try Data(JSONValue.object(job.arguments).canonicalJSON.utf8).write(to: URL(fileURLWithPath: directory.argumentsPath))
                try directory.write(spec)
                let child = try ChildProcess.spawn([supervisor, "command-job", directory.path], outputPath: directory.supervisorLogPath,
                                                   ownProcessGroup: true)
                child.reapInBackground()
            } catch {
                // The claim stays: a later poll finds no status file and fails the attempt, which retries under a new key.
                throw BackendError.configuration(message: "cannot start the job's supervisor (\(supervisor)): \(error)")
            }
            return id
        }
    }

    public func status(of jobID: String) async throws -> BackendJobStatus {
        let (jobHost, directory) = try directory(of: jobID)
        guard directory.isClaimed else {
            if jobHost != host {
                throw BackendError.tryLater(retryAfter: nil, message: "the command job \(jobID) runs on \(jobHost), not on \(host)", jobID: nil)
            }
            throw BackendError.notFound(message: "no command job \(jobID) in \(settings.workDirectory)")
        }
        guard let record = try directory.record() else {
            if let claimed = directory.claimedAt, Date().timeIntervalSince(claimed) > startGrace.inSeconds {
                let log = (try? String(contentsOfFile: directory.supervisorLogPath, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
                return BackendJobStatus(status: .failed, rawStatus: "failed",
                                        message: "the job's supervisor never started\(log.isEmpty ? "" : ": " + String(log.suffix(500)))")
            }
            return BackendJobStatus(status: .submitted, rawStatus: "submitted")
        }
        if record.state == .running, record.host == host, let gone = gone(record) {
            // The supervisor may have written its last word between the two reads.
            if let again = try directory.record(), again.state.isFinal { return Self.status(again) }
            // Nothing watches the program any more: stop it, so the next attempt does not run beside it.
            if record.bootID == CommandJobDirectory.bootID(), let program = record.programPID {
                ChildProcess(pid: program).signalGroup(SIGKILL)
            }
            return BackendJobStatus(status: .failed, rawStatus: "failed", message: gone)
        }
        return Self.status(record)
    }

    public func results(of jobID: String) async throws -> [BackendAsset] {
        let (_, directory) = try directory(of: jobID)
        let root = outputDirectory(of: directory)
        guard let names = FileManager.default.enumerator(atPath: root) else { return [] }
        var assets: [BackendAsset] = []
        for case let relative as String in names {
            let path = "\(root)/\(relative)"
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int
            assets.append(BackendAsset(name: relative, href: URL(fileURLWithPath: path).absoluteString, mediaType: Self.mediaType(of: relative),
                                       roles: ["data"], title: relative, size: size))
        }
        return assets.sorted { $0.name < $1.name }
    }

    public func cancel(_ jobID: String) async throws {
        let (_, directory) = try directory(of: jobID)
        guard directory.isClaimed else { throw BackendError.notFound(message: "no command job \(jobID) in \(settings.workDirectory)") }
        // The supervisor sees the file within its check interval and kills the program's group.
        FileManager.default.createFile(atPath: directory.cancelPath, contents: Data("\(Date())\n".utf8))
    }

    public func find(idempotencyKey: String) async throws -> String? {
        let directory = CommandJobDirectory(workDirectory: settings.workDirectory, idempotencyKey: idempotencyKey)
        guard directory.isClaimed else { return nil }
        return try claimedID(directory) ?? Self.jobID(host: host, idempotencyKey: idempotencyKey)
    }

    public func logs(of jobID: String) async throws -> [BackendLogEntry] {
        let (_, directory) = try directory(of: jobID)
        guard directory.isClaimed else { throw BackendError.notFound(message: "no command job \(jobID) in \(settings.workDirectory)") }
        var entries = Self.lines(of: directory.stdoutPath).map { BackendLogEntry(level: "info", message: $0) }
        entries += Self.lines(of: directory.stderrPath).map { BackendLogEntry(level: "error", message: $0) }
        if let record = try directory.record(), let message = record.message, record.state != .finished {
            entries.append(BackendLogEntry(level: "error", message: "tilefleet: \(message)", time: record.endedAt.map { ISO8601DateFormatter().string(from: $0) }))
        }
        return entries
    }

    // MARK: Helpers

    /// The id under which a claimed job runs: its claim names the host.
    func claimedID(_ directory: CommandJobDirectory) throws -> String? {
        guard let note = try? String(contentsOfFile: directory.lockPath, encoding: .utf8),
              let claimer = note.split(separator: "\n").first.map(String.init), !claimer.isEmpty else { return nil }
        return "\(claimer)/\((directory.path as NSString).lastPathComponent)"
    }

    /// Why a job that says `running` cannot be running any more, or nil while it may be.
    func gone(_ record: CommandJobRecord) -> String? {
        if record.bootID != CommandJobDirectory.bootID() {
            return "the host \(record.host) restarted while the job ran (the supervisor, pid \(record.supervisorPID), is gone)"
        }
        if !ChildProcess.exists(pid: record.supervisorPID) {
            return "the job's supervisor (pid \(record.supervisorPID) on \(record.host)) is gone: it was killed before the job ended"
        }
        return nil
    }

    /// Jobs of this host that have not ended: claimed here, and running or about to start.
    func activeJobs() -> Int {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: settings.workDirectory) else { return 0 }
        var active = 0
        for name in names where !name.hasPrefix(".") {
            let directory = CommandJobDirectory(path: "\(settings.workDirectory)/\(name)")
            guard directory.isClaimed else { continue }
            if let record = try? directory.record() {
                if record.state == .running, record.host == host, gone(record) == nil { active += 1 }
            } else if (try? claimedID(directory)) == "\(host)/\(name)", let claimed = directory.claimedAt, Date().timeIntervalSince(claimed) <= startGrace.inSeconds {
                active += 1
            }
        }
        return active
    }

    /// Runs `body` holding `<work_dir>/.submit.lock` (`flock`), so the count against
    /// `max_per_host` and the claim are one step for every worker process on the host.
    func withHostLock<T>(_ body: () throws -> T) async throws -> T {
        let path = "\(settings.workDirectory)/.submit.lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw BackendError.configuration(message: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                throw BackendError.configuration(message: "cannot lock \(path): \(String(cString: strerror(errno)))")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }

    static func status(_ record: CommandJobRecord) -> BackendJobStatus {
        switch record.state {
        case .running: BackendJobStatus(status: record.programPID == nil ? .submitted : .running, rawStatus: record.programPID == nil ? "starting" : "running")
        case .finished: BackendJobStatus(status: .finished, rawStatus: "finished", progress: 100, message: record.message)
        case .failed: BackendJobStatus(status: .failed, rawStatus: "failed", message: record.message)
        case .canceled: BackendJobStatus(status: .canceled, rawStatus: "canceled", message: record.message)
        }
    }

    /// The last 1,000 lines of the last 1 MiB of a log file.
    static func lines(of path: String) -> [String] {
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: size > 1 << 20 ? size - (1 << 20) : 0)
        let data = (try? handle.readToEnd()) ?? Data()
        let text = String(decoding: data, as: UTF8.self)
        return Array(text.split(separator: "\n", omittingEmptySubsequences: true).suffix(1000).map(String.init))
    }

    /// The program's environment from the job's arguments: each one as `TILEFLEET_ARG_<NAME>`
    /// (strings as they are, anything else as JSON), and the tile's pieces where an argument has
    /// their shape: `TILEFLEET_BBOX` (`west,south,east,north`) and `TILEFLEET_CRS` (`EPSG:<code>`)
    /// from a bounding box, `TILEFLEET_GEOMETRY` from a GeoJSON geometry, feature or collection,
    /// `TILEFLEET_WINDOW` (`start/end`) from a pair of dates.
    public static func environment(for arguments: [String: JSONValue]) -> [String: String] {
        var environment: [String: String] = [:]
        for name in arguments.keys.sorted() {
            let value = arguments[name]!
            let variable = "TILEFLEET_ARG_" + String(name.uppercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
            environment[variable] = value.stringValue ?? value.canonicalJSON
            if case .object(let members) = value {
                if environment["TILEFLEET_BBOX"] == nil, let west = members["west"]?.numberValue, let south = members["south"]?.numberValue,
                   let east = members["east"]?.numberValue, let north = members["north"]?.numberValue {
                    environment["TILEFLEET_BBOX"] = [west, south, east, north].map { JSONValue.number($0).canonicalJSON }.joined(separator: ",")
                    let crs = members["crs"].map { $0.numberValue.map { String(Int($0)) } ?? $0.stringValue ?? "4326" } ?? "4326"
                    environment["TILEFLEET_CRS"] = crs.uppercased().hasPrefix("EPSG:") ? crs : "EPSG:\(crs)"
                } else if environment["TILEFLEET_GEOMETRY"] == nil, let type = members["type"]?.stringValue,
                          ["Polygon", "MultiPolygon", "Point", "MultiPoint", "Feature", "FeatureCollection", "GeometryCollection"].contains(type) {
                    environment["TILEFLEET_GEOMETRY"] = value.canonicalJSON
                    environment["TILEFLEET_CRS"] = environment["TILEFLEET_CRS"] ?? "EPSG:4326"
                }
            } else if environment["TILEFLEET_WINDOW"] == nil, case .array(let items) = value, items.count == 2,
                      let start = items[0].stringValue, let end = items[1].stringValue, Self.isDate(start), Self.isDate(end) {
                environment["TILEFLEET_WINDOW"] = "\(start)/\(end)"
            }
        }
        return environment
    }

    static func isDate(_ text: String) -> Bool {
        text.range(of: #"^\d{4}-\d{2}-\d{2}"#, options: .regularExpression) != nil
    }

    /// A media type by file extension; nil for one not known.
    public static func mediaType(of name: String) -> String? {
        switch (name as NSString).pathExtension.lowercased() {
        case "geojson": "application/geo+json"
        case "json": "application/json"
        case "tif", "tiff": "image/tiff; application=geotiff"
        case "png": "image/png"
        case "jpg", "jpeg": "image/jpeg"
        case "csv": "text/csv"
        case "txt", "log": "text/plain"
        case "nc": "application/x-netcdf"
        case "parquet": "application/vnd.apache.parquet"
        case "zip": "application/zip"
        default: nil
        }
    }

    /// The running executable (`/proc/self/exe`), which is `tilefleet` in a worker.
    static func currentExecutable() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
