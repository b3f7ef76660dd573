import Foundation
import Postgres
import Storage
import TestSupport

/// A fresh database per test on the shared server, migrated, dropped at the end.
struct TestDatabase {
    let name: String
    let url: PostgresURL
    let connection: PostgresConnection

    static func create(migrate: Bool = true) async throws -> TestDatabase {
        let admin = try await PostgresConnection.connect(to: TestEnvironment.databaseURL)
        let name = "tf_test_" + UUID().uuidString.prefix(8).lowercased()
        try await admin.executeScript("CREATE DATABASE \(name)")
        await admin.close()
        var url = try PostgresURL(TestEnvironment.databaseURL)
        url.database = name
        let connection = try await PostgresConnection.connect(to: url)
        if migrate { try await Migrator().migrate(connection) }
        return TestDatabase(name: name, url: url, connection: connection)
    }

    func drop() async {
        await connection.close()
        if let admin = try? await PostgresConnection.connect(to: TestEnvironment.databaseURL) {
            try? await admin.executeScript("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            await admin.close()
        }
    }

    /// A task with `count` pending tiles named tile-0000…
    func makeTask(_ task: String, tiles count: Int, backend: String = "sim") async throws {
        try await connection.execute("""
            INSERT INTO tasks (id, title, backend, spec) VALUES (\(task), \("test task"), \(backend), \(PostgresJSON(text: "{}")))
            """)
        var buffer = PostgresCopyBuffer()
        for i in 0..<count {
            buffer.append([task, Self.tileID(i), backend])
        }
        try await connection.copyIn("COPY tiles (task_id, tile_id, backend) FROM STDIN", buffer)
    }

    static func tileID(_ i: Int) -> String { "tile-" + String(format: "%04d", i) }
}
