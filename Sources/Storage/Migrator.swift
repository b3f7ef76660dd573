import Postgres

/// Applies the numbered migrations in order, each in its own transaction, and refuses to touch
/// a database whose schema is newer than this build.
public struct Migrator: Sendable {
    public let migrations: [Migration]

    public init(migrations: [Migration] = Migration.all) {
        self.migrations = migrations
    }

    /// What `migrate` did: the versions it applied and the version the database is now at.
    public struct Outcome: Sendable, Equatable {
        public var applied: [Int]
        public var version: Int
    }

    /// The schema version the database is at (0 when tilefleet never ran there).
    public func currentVersion(_ db: PostgresConnection) async throws(StorageError) -> Int {
        do {
            return try await db.withSession { session throws(PostgresError) in
                try Self.version(session)
            }
        } catch {
            throw StorageError(error)
        }
    }

    /// Brings the database up to the latest version this build knows.
    @discardableResult
    public func migrate(_ db: PostgresConnection) async throws(StorageError) -> Outcome {
        let migrations = self.migrations
        let latest = migrations.last?.version ?? 0
        do {
            return try await db.transaction { session throws(PostgresError) in
                // One migrator at a time across the fleet.
                try session.query("SELECT pg_advisory_xact_lock(\(Int64(0x7469_6c65_666c)))")
                try session.executeScript("""
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version int PRIMARY KEY,
                        name text NOT NULL,
                        applied_at timestamptz NOT NULL DEFAULT now()
                    )
                    """)
                let current = try Self.version(session)
                if current > latest {
                    throw PostgresError(kind: .client, message:
                        "the database schema is at version \(current), newer than this tilefleet knows (\(latest)): upgrade tilefleet")
                }
                var applied: [Int] = []
                for migration in migrations where migration.version > current {
                    do throws(PostgresError) {
                        try session.executeScript(migration.sql)
                    } catch {
                        throw PostgresError(kind: error.kind, sqlState: error.sqlState,
                                            message: "migration \(migration.version) (\(migration.name)) failed: \(error.message)",
                                            detail: error.detail, hint: error.hint)
                    }
                    try session.execute(
                        "INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))")
                    applied.append(migration.version)
                }
                return Outcome(applied: applied, version: max(current, applied.last ?? current))
            }
        } catch {
            throw StorageError(error)
        }
    }

    private static func version(_ session: PostgresSession) throws(PostgresError) -> Int {
        let exists = try session.query("SELECT to_regclass('schema_migrations') IS NOT NULL")[0].decode(Bool.self, at: 0)
        guard exists else { return 0 }
        return try session.query("SELECT coalesce(max(version), 0) FROM schema_migrations")[0].decode(Int.self, at: 0)
    }
}
