import Foundation

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

    /// Runs `services.sh <action> <service>` and fails with its output if it does not succeed.
    public static func services(_ action: String, _ service: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [servicesScript, action, service]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ServicesError(action: action, service: service, output: String(decoding: output, as: UTF8.self))
        }
    }

    public struct ServicesError: Error, CustomStringConvertible {
        public let action: String
        public let service: String
        public let output: String
        public var description: String { "services.sh \(action) \(service) failed:\n\(output)" }
    }
}
