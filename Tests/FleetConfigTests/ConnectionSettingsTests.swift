@testable import FleetConfig
import Testing

/// Connection settings that would otherwise fail far from their cause.
@Suite struct ConnectionSettingsTests {
    static let yaml = """
        broker: {url: "amqp://fleet@mq.example:5672/%2F", password_env: MQ_PASSWORD}
        database: {url: "postgresql://fleet@db.example/tilefleet", password_env: DB_PASSWORD}
        """

    @Test func anUnsetPasswordVariableIsAnErrorNamingItWhenTheURLIsUsed() throws {
        let configuration = try FleetConfiguration.parse(yaml: Self.yaml, file: "fleet.yaml", environment: [:], gridCheck: { _ in nil })
        let broker = try #require(configuration.passwordProblem("broker", flag: nil, environment: [:]))
        #expect(broker == "fleet.yaml: broker.password_env: the variable MQ_PASSWORD is not set (or empty); export it, or give the whole URL with TILEFLEET_AMQP_URL")
        #expect(configuration.passwordProblem("database", flag: nil, environment: [:])?.contains("the variable DB_PASSWORD is not set") == true)
        // A URL from the flag or the environment replaces the file's, password and all.
        #expect(configuration.passwordProblem("broker", flag: "amqp://x", environment: [:]) == nil)
        #expect(configuration.passwordProblem("database", flag: nil, environment: ["TILEFLEET_DATABASE_URL": "postgresql://x"]) == nil)
        let empty = try FleetConfiguration.parse(yaml: Self.yaml, file: "fleet.yaml", environment: ["MQ_PASSWORD": ""], gridCheck: { _ in nil })
        #expect(empty.passwordProblem("broker", flag: nil, environment: [:]) != nil)
    }

    @Test func aSetPasswordVariableGoesIntoTheURL() throws {
        let configuration = try FleetConfiguration.parse(yaml: Self.yaml, file: "fleet.yaml",
                                                         environment: ["MQ_PASSWORD": "s3cret", "DB_PASSWORD": "pw"], gridCheck: { _ in nil })
        #expect(configuration.passwordProblem("broker", flag: nil, environment: [:]) == nil)
        #expect(configuration.brokerURL == "amqp://fleet:s3cret@mq.example:5672/%2F")
        #expect(configuration.databaseURL == "postgresql://fleet:pw@db.example/tilefleet")
    }

    @Test func thePasswordGoesIntoADatabaseURLWithSeveralServers() throws {
        let configuration = try FleetConfiguration.parse(yaml: """
            database: {url: "postgresql://fleet:old@db1:5432,db2:5433/tilefleet?target_session_attrs=read-write", password_env: DB_PASSWORD}
            """, file: "fleet.yaml", environment: ["DB_PASSWORD": "p@ss/w rd"], gridCheck: { _ in nil })
        #expect(configuration.databaseURL
            == "postgresql://fleet:p%40ss%2Fw%20rd@db1:5432,db2:5433/tilefleet?target_session_attrs=read-write")
        #expect(FleetConfiguration.url("amqp://mq:5672", password: "x") == "amqp://:x@mq:5672")
        #expect(FleetConfiguration.url("mq:5672", password: "x") == nil)
    }

    @Test(arguments: [
        ("qa.#*", "holds '#'"), ("qa fleet", "holds ' '"), ("amq.fleet", "starts with 'amq.'"), ("qa..x", "empty part between dots"),
        ("", "expected a non-empty string"), (String(repeating: "a", count: 121), "at most 120"), ("flöte", "holds 'ö'"),
    ])
    func topologyPrefixesAreCheckedAgainstAMQPNames(prefix: String, expected: String) {
        let problems = ConfigReaderTests.problems("topology: {prefix: \"\(prefix)\"}")
        #expect(problems.map(\.path) == ["topology.prefix"])
        #expect(problems.first?.message.contains(expected) == true, "\(problems)")
    }

    @Test func goodPrefixesPass() {
        for prefix in ["tilefleet", "qa.staging", "team-a_1", "x:y"] {
            #expect(FleetConfiguration.prefixProblem(prefix) == nil, "\(prefix)")
        }
    }
}
