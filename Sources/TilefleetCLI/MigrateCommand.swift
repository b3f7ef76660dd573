import ArgumentParser
import Postgres
import Storage

/// `tilefleet migrate`: bring the database schema up to this build's version.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Create or upgrade the PostgreSQL schema (numbered, transactional migrations)."
    )

    @OptionGroup var connection: ConnectionOptions

    @Flag(help: "Only print the database's schema version and the latest this build knows.")
    var status = false

    func run() async throws {
        let db = try await PostgresConnection.connect(to: connection.resolvedDatabaseURL())
        defer { Task { await db.close() } }
        let migrator = Migrator()
        if status {
            let current = try await migrator.currentVersion(db)
            print("schema version \(current) (latest known: \(Migration.latestVersion))")
            return
        }
        let outcome = try await migrator.migrate(db)
        if outcome.applied.isEmpty {
            print("schema is up to date (version \(outcome.version))")
        } else {
            print("applied migrations \(outcome.applied.map(String.init).joined(separator: ", ")); schema version \(outcome.version)")
        }
    }
}
