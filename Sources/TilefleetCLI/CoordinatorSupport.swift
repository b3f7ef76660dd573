import AMQP
import ArgumentParser
import Coordinator
import FleetConfig
import Foundation
import Geo
import Logging
import Postgres

/// What the coordinator's commands share: reading a task spec with every problem printed, and
/// opening the database and the broker.
enum CoordinatorSupport {
    /// Writes `text` to stderr, one line per line, control characters escaped (messages quote
    /// titles, paths and backend answers).
    static func printError(_ text: String) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0).terminalSafe }
        let safe = lines.joined(separator: "\n")
        FileHandle.standardError.write(Data((safe.hasSuffix("\n") ? safe : safe + "\n").utf8))
    }

    /// Parses and tiles the spec at `path` within the fleet's job limits (`confirmed`: `--yes`
    /// given); prints all problems and exits with status 2 on bad input, notes on stderr.
    static func plan(path: String, configuration: FleetConfiguration, confirmed: Bool = false) throws -> TaskPlan {
        let spec: TaskSpec
        do {
            spec = try TaskSpecParser(configuration: configuration).load(path: path)
        } catch {
            printError(error.description)
            throw ExitCode(2)
        }
        do {
            let plan = try TaskPlan(spec: spec, limits: configuration.limits, confirmed: confirmed)
            for note in plan.notes { printError("\(path): split.aoi: note: \(note)") }
            return plan
        } catch let error as GeoValidationError {
            printError("\(path): split: \(error)")
            throw ExitCode(2)
        }
    }

    static func database(_ connection: ConnectionOptions) async throws -> PostgresConnection {
        try await PostgresConnection.connect(to: connection.resolvedDatabaseURL(), logger: quietLogger)
    }

    /// Connection chatter (connected, closed) is noise for one-shot commands: warnings and worse only.
    static var quietLogger: Logger {
        var logger = Logger(label: "tilefleet.cli")
        logger.logLevel = .warning
        return logger
    }

    /// A broker channel in confirm mode, with the topology declared.
    static func channel(_ connection: ConnectionOptions, configuration: FleetConfiguration) async throws -> (AMQPConnection, AMQPChannel) {
        let amqp = try await AMQPConnection.connect(url: connection.resolvedAMQPURL(), logger: quietLogger)
        let channel = try await amqp.openChannel()
        try await configuration.topology.declare(on: channel)
        try await channel.enablePublisherConfirms()
        return (amqp, channel)
    }

    /// Splits `a,b c` lists given to `--tiles`.
    static func tileList(_ values: [String]) -> [String]? {
        let tiles = values.flatMap { $0.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init) }
        return tiles.isEmpty ? nil : tiles
    }

    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self)
    }
}
