import FleetModel
import Foundation

extension CommandBackend: BackendInspection {
    /// The work directory can be created and written, and the supervisor can be executed.
    public func checkRoot() async -> APIRootCheck {
        do {
            try FileManager.default.createDirectory(atPath: settings.workDirectory, withIntermediateDirectories: true)
        } catch {
            return .wrong(problem: "command.work_dir \(settings.workDirectory) cannot be created: \(error.localizedDescription)", suggestedURL: nil)
        }
        guard FileManager.default.isWritableFile(atPath: settings.workDirectory) else {
            return .wrong(problem: "command.work_dir \(settings.workDirectory) is not writable", suggestedURL: nil)
        }
        guard FileManager.default.isExecutableFile(atPath: supervisor) else {
            return .wrong(problem: "the supervisor \(supervisor) is not an executable (command.supervisor)", suggestedURL: nil)
        }
        return .ok(summary: "programs on \(host), jobs in \(settings.workDirectory), at most \(settings.maxPerHost) at once per host")
    }

    public func account() async throws -> BackendAccount? { nil }

    /// Nothing is declared by a program; its program must exist on this host (in `PATH` or by path).
    public func describe(_ process: BackendJob.Process) async throws -> ServiceDescription? {
        guard case .command(let arguments) = process, let program = arguments.first else {
            throw BackendError.configuration(message: "a command backend runs a program: the task's service needs command: [program, arguments…]")
        }
        guard Self.resolve(program: program) != nil else {
            throw BackendError.notFound(message: "the program '\(program)' is not found on \(host)\(program.contains("/") ? "" : " (PATH)")")
        }
        return nil
    }

    public func submitRequest(for job: BackendJob, idempotencyKey: String) throws -> SubmitRequest {
        guard case .command(let arguments) = job.process, !arguments.isEmpty else {
            throw BackendError.configuration(message: "a command backend runs a program: the task's service needs command: [program, arguments…]")
        }
        let environment = Self.environment(for: job.arguments).mapValues(JSONValue.string)
        return SubmitRequest(method: "RUN", url: "file://\(settings.workDirectory)/\(CommandJobDirectory.name(for: idempotencyKey))",
                             body: .object(["command": .array(arguments.map(JSONValue.string)), "environment": .object(environment)]))
    }

    /// The executable `program` names: itself when it has a slash, else the first in `PATH`.
    static func resolve(program: String) -> String? {
        if program.contains("/") { return FileManager.default.isExecutableFile(atPath: program) ? program : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(program)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
