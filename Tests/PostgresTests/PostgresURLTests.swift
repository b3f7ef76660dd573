import Testing
@testable import Postgres

@Suite struct PostgresURLTests {
    @Test func aConnectionNamesTheProgramAndItsSubcommandUnlessTheURLNamesOne() throws {
        #expect(PostgresURL.applicationName(arguments: ["/usr/local/bin/tilefleet", "recorder", "--writers", "2"]) == "tilefleet recorder")
        #expect(PostgresURL.applicationName(arguments: [".build/release/tilefleet-bench", "recorder"]) == "tilefleet-bench recorder")
        #expect(PostgresURL.applicationName(arguments: ["tilefleet", "--help"]) == "tilefleet")
        #expect(PostgresURL.applicationName(arguments: ["tilefleet", "/etc/passwd"]) == "tilefleet")
        #expect(PostgresURL.applicationName(arguments: ["tilefleet", "rec\u{00F6}rder"]) == "tilefleet")
        #expect(PostgresURL.applicationName(arguments: []) == "tilefleet")
        #expect(PostgresURL.applicationName(arguments: ["/opt/x/" + String(repeating: "a", count: 80), "worker"]).utf8.count == 63)
        let named = try PostgresURL("postgresql://u@db/fleet?application_name=night-run").connectionParameters
        #expect(named.filter { $0.0 == "application_name" }.map(\.1) == ["night-run"])
        let unnamed = try PostgresURL("postgresql://u@db/fleet").connectionParameters
        #expect(unnamed.filter { $0.0 == "application_name" }.map(\.1) == [PostgresURL.defaultApplicationName])
    }

    @Test func parsesAFullURL() throws {
        let url = try PostgresURL("postgresql://tile%40fleet:s3cr%2Ft@db.example.org:6543/fleet?sslmode=verify-full&connect_timeout=5")
        #expect(url.user == "tile@fleet")
        #expect(url.password == "s3cr/t")
        #expect(url.endpoints == [.init(host: "db.example.org", port: 6543)])
        #expect(url.database == "fleet")
        #expect(url.sslMode == "verify-full")
        #expect(url.parameters["connect_timeout"] == "5")
    }

    @Test func defaultsPortAndAcceptsPostgresScheme() throws {
        let url = try PostgresURL("postgres://localhost/db")
        #expect(url.endpoints == [.init(host: "localhost", port: 5432)])
        #expect(url.user == nil)
        #expect(url.password == nil)
    }

    @Test func acceptsIPv6Hosts() throws {
        let url = try PostgresURL("postgresql://u@[::1]:5433/db")
        #expect(url.endpoints == [.init(host: "::1", port: 5433)])
    }

    @Test func takesSeveralServersForFailover() throws {
        let url = try PostgresURL("postgresql://fleet:pw@10.0.0.1:5433,[::1],db-b:6543/fleet?target_session_attrs=read-write")
        #expect(url.endpoints == [.init(host: "10.0.0.1", port: 5433), .init(host: "::1", port: 5432), .init(host: "db-b", port: 6543)])
        #expect(url.parameters["target_session_attrs"] == "read-write")
        let pairs = Dictionary(url.connectionParameters, uniquingKeysWith: { $1 })
        #expect(pairs["host"] == "10.0.0.1,::1,db-b")
        #expect(pairs["port"] == "5433,5432,6543")
        #expect(pairs["target_session_attrs"] == "read-write")
        #expect(url.description == "postgresql://fleet:***@10.0.0.1:5433,[::1]:5432,db-b:6543/fleet?target_session_attrs=read-write")
        #expect(try PostgresURL(url.unredactedString) == url)
    }

    @Test func hostParameterNamesTheServersWithTheURLsPort() throws {
        let url = try PostgresURL("postgresql://u@:5440/db?host=a,b")
        #expect(url.endpoints == [.init(host: "a", port: 5440), .init(host: "b", port: 5440)])
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
        ("postgresql://u:pw@a:5432,/db", "host"),
        ("postgresql://u:pw@a:5432,b:0/db", "port"),
        ("postgresql://u:pw@a,b%2Cc/db", "host"),
        ("postgresql://u:pw@a,b/db?target_session_attrs=writable", "query parameter 'target_session_attrs'"),
        ("postgresql://u:pw@a,b/db?host=c", "query parameter 'host'"),
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
