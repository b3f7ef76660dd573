import Testing
@testable import Postgres

@Suite struct PostgresURLTests {
    @Test func parsesAFullURL() throws {
        let url = try PostgresURL("postgresql://tile%40fleet:s3cr%2Ft@db.example.org:6543/fleet?sslmode=verify-full&connect_timeout=5")
        #expect(url.user == "tile@fleet")
        #expect(url.password == "s3cr/t")
        #expect(url.host == "db.example.org")
        #expect(url.port == 6543)
        #expect(url.database == "fleet")
        #expect(url.sslMode == "verify-full")
        #expect(url.parameters["connect_timeout"] == "5")
    }

    @Test func defaultsPortAndAcceptsPostgresScheme() throws {
        let url = try PostgresURL("postgres://localhost/db")
        #expect(url.port == 5432)
        #expect(url.user == nil)
        #expect(url.password == nil)
    }

    @Test func acceptsIPv6Hosts() throws {
        let url = try PostgresURL("postgresql://u@[::1]:5433/db")
        #expect(url.host == "::1")
        #expect(url.port == 5433)
    }

    @Test(arguments: [
        ("mysql://u:pw@h/db", "scheme"),
        ("localhost:5432/db", "scheme"),
        ("postgresql://u:pw@h:99999/db", "port"),
        ("postgresql://u:pw@h:abc/db", "port"),
        ("postgresql://u:pw@/db", "host"),
        ("postgresql://u:pw@h/db?sslmode=sometimes", "query parameter 'sslmode'"),
        ("postgresql://u:pw@h/db?colour=blue", "query parameter 'colour'"),
        ("postgresql://u:pw@h/a/b", "database"),
        ("postgresql://u:p%zzw@h/db", "password"),
    ])
    func namesTheWrongPart(url: String, part: String) {
        #expect {
            _ = try PostgresURL(url)
        } throws: { error in
            guard let error = error as? PostgresError, case .invalidURL(let p, _) = error.kind else { return false }
            return p == part && !String(describing: error).contains("pw")
        }
    }

    @Test func descriptionNeverShowsThePassword() throws {
        let url = try PostgresURL("postgresql://fleet:hunter2@h:5433/db?sslmode=require")
        #expect(!url.description.contains("hunter2"))
        #expect(url.description == "postgresql://fleet:***@h:5433/db?sslmode=require")
        #expect(!"\(url)".contains("hunter2"))
        #expect(try PostgresURL(url.unredactedString) == url)
    }
}
