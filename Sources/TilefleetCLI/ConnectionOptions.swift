import ArgumentParser
import Foundation
import Postgres

/// Where the broker and the database are: flags, else the environment.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: "PostgreSQL URL (default: $TILEFLEET_DATABASE_URL).")
    var databaseURL: String?

    @Option(name: .customLong("amqp-url"), help: "RabbitMQ URL (default: $TILEFLEET_AMQP_URL).")
    var amqpURL: String?

    func resolvedDatabaseURL() throws -> String {
        guard let url = databaseURL ?? ProcessInfo.processInfo.environment["TILEFLEET_DATABASE_URL"] else {
            throw ValidationError("no database URL: pass --database-url or set TILEFLEET_DATABASE_URL")
        }
        do {
            _ = try PostgresURL(url)
        } catch {
            throw ValidationError(error.message)
        }
        return url
    }

    func resolvedAMQPURL() throws -> String {
        guard let url = amqpURL ?? ProcessInfo.processInfo.environment["TILEFLEET_AMQP_URL"] else {
            throw ValidationError("no broker URL: pass --amqp-url or set TILEFLEET_AMQP_URL")
        }
        return url
    }
}
