import FleetModel
import Postgres
import Storage
import Testing
import TestSupport

/// The status vocabulary in SQL is the model's: the rank PostgreSQL orders events by is
/// `TileStatus.rank` for every status, and the generated lists select what the model says.
@Suite struct StatusVocabularyTests {
    @Test func theSQLRankEqualsTheModelRankForEveryStatus() async throws {
        let db = try await TestDatabase.create()
        defer { TestCleanup.later { await db.drop() } }
        for status in TileStatus.allCases {
            let rank = try await db.connection.query("SELECT tilefleet_status_rank(\(status.rawValue))")[0].decode(Int.self, at: 0)
            #expect(rank == status.rank, "\(status)")
        }
    }

    @Test func theGeneratedListsSelectTheModelsStatuses() async throws {
        let db = try await TestDatabase.create()
        defer { TestCleanup.later { await db.drop() } }
        let all = TileStatus.allCases.map(\.rawValue)
        let array = "{" + all.joined(separator: ",") + "}"
        let inFlight = try await db.connection.query("""
            SELECT s FROM unnest(\(array)::text[]) AS s WHERE s IN (\(unescaped: TileStatus.sqlList(TileStatus.inFlight))) ORDER BY s
            """).map { try $0.decode(String.self, at: 0) }
        #expect(inFlight == ["queued", "running", "submitted"])
        let terminal = try await db.connection.query("""
            SELECT s FROM unnest(\(array)::text[]) AS s WHERE s IN (\(unescaped: TileStatus.sqlList(TileStatus.terminal))) ORDER BY s
            """).map { try $0.decode(String.self, at: 0) }
        #expect(terminal == ["canceled", "failed", "finished"])
    }
}
