import AMQP
import ArgumentParser
import Coordinator
import FleetConfig
import Foundation
import Postgres

/// The fleet configuration file and where the broker and the database are: a flag wins over the
/// environment (`TILEFLEET_DATABASE_URL`, `TILEFLEET_AMQP_URL`), which wins over the file
/// (`--config`, else `$TILEFLEET_CONFIG`, else `./tilefleet.yaml`).
package struct ConnectionOptions: ParsableArguments {
    @Option(name: .customLong("config"), help: "The fleet configuration (default: $TILEFLEET_CONFIG, else ./tilefleet.yaml).")
    package var config: String?

    @Option(name: .customLong("database-url"), help: "PostgreSQL URL (default: $TILEFLEET_DATABASE_URL, else database.url in the config).")
    package var databaseURL: String?

    @Option(name: .customLong("amqp-url"), help: "RabbitMQ URL (default: $TILEFLEET_AMQP_URL, else broker.url in the config).")
    package var amqpURL: String?

    package init() {}

    /// The fleet configuration; problems are printed with the file and key, then exit status 2.
    package func fleetConfiguration() throws -> FleetConfiguration {
        do {
            return try FleetConfiguration.load(explicit: config)
        } catch {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(2)
        }
    }

    package func resolvedDatabaseURL() throws -> String {
        let configuration = try fleetConfiguration()
        if let problem = configuration.passwordProblem("database", flag: databaseURL) { throw ValidationError(problem) }
        guard let url = configuration.resolvedDatabaseURL(flag: databaseURL) else {
            throw ValidationError("no database URL: pass --database-url, set TILEFLEET_DATABASE_URL or database.url in the fleet configuration")
        }
        do {
            _ = try PostgresURL(url)
        } catch {
            throw ValidationError(error.message)
        }
        return url
    }

    package func resolvedAMQPURL() throws -> String {
        let configuration = try fleetConfiguration()
        if let problem = configuration.passwordProblem("broker", flag: amqpURL) { throw ValidationError(problem) }
        guard let url = configuration.resolvedBrokerURL(flag: amqpURL) else {
            throw ValidationError("no broker URL: pass --amqp-url, set TILEFLEET_AMQP_URL or broker.url in the fleet configuration")
        }
        do {
            _ = try AMQPConfiguration(url: url)
        } catch {
            // A malformed URL is a usage problem (exit 2), not a broker that cannot be reached.
            throw ValidationError("broker URL: \(error)")
        }
        return url
    }
}
