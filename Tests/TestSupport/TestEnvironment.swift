import ChildProcess
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where the integration tests find the real RabbitMQ and PostgreSQL started by
/// `deploy/local/services.sh` (which `make test` runs). A missing service is a test failure,
/// never a skip.
public enum TestEnvironment {
    /// The project root, found from this file's path.
    public static let projectRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static var servicesScript: String {
        ProcessInfo.processInfo.environment["TILEFLEET_SERVICES_SCRIPT"]
            ?? projectRoot.appendingPathComponent("deploy/local/services.sh").path
    }

    /// `TILEFLEET_AMQP_URL`, or the default of `deploy/local/services.sh`.
    public static var amqpURL: String {
        ProcessInfo.processInfo.environment["TILEFLEET_AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:5673/%2F"
    }

    /// `TILEFLEET_DATABASE_URL`, or the default of `deploy/local/services.sh`.
    public static var databaseURL: String {
        ProcessInfo.processInfo.environment["TILEFLEET_DATABASE_URL"]
            ?? "postgresql://tilefleet:tilefleet-local@127.0.0.1:5433/tilefleet"
    }

    /// Runs `services.sh <action> <service>` on a dedicated thread and fails with its output if
    /// it does not succeed.
    public static func services(_ action: String, _ service: String, environment: [String: String] = [:]) async throws {
        // Bounded: a script that hangs is killed and fails the test instead of hanging the run.
        let result = await ChildProcess.runOnThread(["/bin/bash", servicesScript, action, service], environment: environment,
                                                    timeout: .seconds(240))
        let (status, output) = (result.status, result.output)
        guard status == 0 else {
            throw ServicesError(action: action, service: service, output: output)
        }
    }

    /// ``run(_:environment:)`` on a dedicated thread, so a long command does not hold one of the
    /// cooperative pool's threads.
    public static func runOnThread(_ arguments: [String], environment: [String: String] = [:]) async throws -> (Int32, String) {
        let result = await ChildProcess.runOnThread(arguments, environment: environment)
        return (result.status, result.output)
    }

    /// The same, blocking the caller: only for `defer` blocks, which cannot await.
    public static func servicesBlocking(_ action: String, _ service: String, environment: [String: String] = [:]) throws {
        let (status, output) = try run(["/bin/bash", servicesScript, action, service], environment: environment)
        guard status == 0 else {
            throw ServicesError(action: action, service: service, output: output)
        }
    }

    /// Runs a command to completion (``ChildProcess``), its output captured.
    public static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (Int32, String) {
        let result = ChildProcess.run(arguments, environment: environment)
        return (result.status, result.output)
    }

    /// The `tilefleet` executable built beside the test bundle.
    public static var tilefleetBinary: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("tilefleet").path
    }

    /// Starts a command in the background, its output appended to `logPath`; returns its PID.
    public static func spawn(_ arguments: [String], environment: [String: String] = [:], logPath: String,
                             truncate: Bool = false) throws -> pid_t {
        try ChildProcess.spawn(arguments, environment: environment, outputPath: logPath, truncate: truncate).pid
    }

    /// Sends `signal` to `pid` and reaps it; returns its exit status (128 + signal if killed).
    @discardableResult
    public static func stop(_ pid: pid_t, signal: Int32 = SIGKILL) -> Int32 {
        ChildProcess(pid: pid).stop(signal: signal)
    }

    /// The exit status of `pid` if it has ended (reaping it), nil while it runs.
    public static func exitStatusIfEnded(_ pid: pid_t) -> Int32? {
        ChildProcess(pid: pid).exitStatusIfEnded()
    }

    /// Runs `services.sh stop` for `service` without blocking a thread of the cooperative pool.
    public static func stopService(_ service: PrivateService) async throws {
        try await services("stop", service.name, environment: service.environment)
    }

    public struct ServicesError: Error, CustomStringConvertible {
        public let action: String
        public let service: String
        public let output: String
        public var description: String { "services.sh \(action) \(service) failed:\n\(output)" }
    }

    /// A private instance of one service in its own directory and port, for tests that stop or
    /// restart it without disturbing the tests that share the main instance.
    public struct PrivateService: Sendable {
        public let name: String
        public let environment: [String: String]

        public init(_ name: String, port: Int) {
            self.name = name
            let dir = FileManager.default.temporaryDirectory
                .appendingPathComponent("tilefleet-private-\(name)-\(port)").path
            switch name {
            case "postgres": environment = ["TILEFLEET_SERVICES_DIR": dir, "TILEFLEET_PG_PORT": String(port)]
            default: environment = ["TILEFLEET_SERVICES_DIR": dir, "TILEFLEET_AMQP_PORT": String(port),
                                    "TILEFLEET_EPMD_PORT": String(port + 1)]
            }
        }

        public var databaseURL: String {
            "postgresql://tilefleet:tilefleet-local@127.0.0.1:\(environment["TILEFLEET_PG_PORT"] ?? "")/tilefleet"
        }

        public var amqpURL: String {
            "amqp://guest:guest@127.0.0.1:\(environment["TILEFLEET_AMQP_PORT"] ?? "")/%2F"
        }

        public func start() async throws { try await TestEnvironment.services("start", name, environment: environment) }
        public func restart() async throws { try await TestEnvironment.services("restart", name, environment: environment) }
        /// Runs `rabbitmqctl` against this broker node.
        public func rabbitmqctl(_ arguments: [String]) async throws -> String {
            let (status, output) = try await TestEnvironment.runOnThread(["/bin/bash", TestEnvironment.servicesScript, "rabbitmqctl"] + arguments,
                                                                         environment: environment)
            guard status == 0 else { throw ServicesError(action: "rabbitmqctl \(arguments.joined(separator: " "))", service: name, output: output) }
            return output
        }

        /// Stops the broker and deletes its data: queues, messages and definitions are gone.
        public func wipe() async throws { try await TestEnvironment.services("wipe", name, environment: environment) }
        /// Blocking, so that it can run in a `defer`.
        public func stop() throws { try TestEnvironment.servicesBlocking("stop", name, environment: environment) }
    }
}
