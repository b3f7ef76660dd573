import Foundation
import Postgres
import Storage

/// A fresh database per test on the shared server, migrated, dropped at the end.
public struct TestDatabase: Sendable {
    public let name: String
    public let url: PostgresURL
    public let connection: PostgresConnection

    /// A new database on the server at `serverURL` (default: the shared one).
    public static func create(migrate: Bool = true, serverURL: String = TestEnvironment.databaseURL) async throws -> TestDatabase {
        let admin = try await PostgresConnection.connect(to: serverURL)
        let name = "tf_test_" + UUID().uuidString.prefix(8).lowercased()
        try await admin.executeScript("CREATE DATABASE \(name)")
        await admin.close()
        var url = try PostgresURL(serverURL)
        url.database = name
        let connection = try await PostgresConnection.connect(to: url)
        if migrate { try await Migrator().migrate(connection) }
        return TestDatabase(name: name, url: url, connection: connection)
    }

    public func drop() async {
        await connection.close()
        var admin = url
        admin.database = "postgres"
        if let admin = try? await PostgresConnection.connect(to: admin) {
            try? await admin.executeScript("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            await admin.close()
        }
    }

    /// A task with `count` pending tiles named tile-0000…
    public func makeTask(_ task: String, tiles count: Int, backend: String = "sim") async throws {
        try await TaskStore(connection: connection).insert(
            TaskStore.NewTask(id: task, title: "test task", backend: backend, spec: PostgresJSON(text: "{}")),
            tiles: (0..<count).lazy.map { TaskStore.NewTile(tileID: Self.tileID($0)) })
    }

    public static func tileID(_ i: Int) -> String { "tile-" + String(format: "%04d", i) }
}
