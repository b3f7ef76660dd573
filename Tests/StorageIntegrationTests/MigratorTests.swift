import Postgres
import Storage
import Testing
import TestSupport

@Suite struct MigratorTests {
    @Test func migratesOnceAndIsIdempotent() async throws {
        let db = try await TestDatabase.create(migrate: false)
        defer { TestCleanup.later { await db.drop() } }
        let first = try await Migrator().migrate(db.connection)
        #expect(first.applied == Migration.all.map(\.version))
        #expect(first.version == Migration.latestVersion)
        let second = try await Migrator().migrate(db.connection)
        #expect(second.applied.isEmpty)
        #expect(try await Migrator().currentVersion(db.connection) == Migration.latestVersion)
        let views = try await db.connection.query(
            "SELECT count(*) FROM pg_views WHERE viewname IN ('task_progress', 'backend_stats', 'failures', 'slowest_tiles', 'tile_timeline')")
        #expect(try views[0].decode(Int.self, at: 0) == 5)
    }

    @Test func refusesANewerSchemaAndChangesNothing() async throws {
        let db = try await TestDatabase.create()
        defer { TestCleanup.later { await db.drop() } }
        try await db.connection.execute("INSERT INTO schema_migrations (version, name) VALUES (\(999), \("from the future"))")
        await #expect {
            try await Migrator().migrate(db.connection)
        } throws: { error in
            String(describing: error).contains("version 999, newer than this tilefleet knows")
        }
        #expect(try await Migrator().currentVersion(db.connection) == 999)
    }

    @Test func aFailingMigrationLeavesNothingBehind() async throws {
        let db = try await TestDatabase.create(migrate: false)
        defer { TestCleanup.later { await db.drop() } }
        let broken = Migrator(migrations: Migration.all + [Migration(version: 3, name: "broken", sql: "CREATE TABLE x (); SELEC 1")])
        await #expect(throws: StorageError.self) { try await broken.migrate(db.connection) }
        #expect(try await Migrator().currentVersion(db.connection) == 0)
        let tables = try await db.connection.query("SELECT to_regclass('tiles') IS NULL")
        #expect(try tables[0].decode(Bool.self, at: 0))
    }
}
