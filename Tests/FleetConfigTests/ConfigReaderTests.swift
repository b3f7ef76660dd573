@testable import FleetConfig
import FleetModel
import Testing

/// The one configuration reader: the duration grammar, duplicate keys, every problem at once.
@Suite struct ConfigReaderTests {
    static func parse(_ yaml: String, gridCheck: @escaping FleetConfiguration.GridCheck = { _ in nil }) throws(ConfigurationError) -> FleetConfiguration {
        try FleetConfiguration.parse(yaml: yaml, file: "fleet.yaml", environment: [:], gridCheck: gridCheck)
    }

    static func problems(_ yaml: String) -> [ConfigurationProblem] {
        do {
            _ = try parse(yaml)
            return []
        } catch {
            return error.problems
        }
    }

    @Test(arguments: [
        ("250ms", Duration.milliseconds(250)), ("90s", .seconds(90)), ("30m", .seconds(1800)), ("6h", .seconds(21_600)),
        ("2d", .seconds(172_800)), ("45", .seconds(45)), (" 1.5S ", .milliseconds(1500)), ("0s", .zero),
    ])
    func theDurationGrammar(text: String, expected: Duration) {
        #expect(ConfigReader.parseDuration(text) == expected)
    }

    @Test(arguments: ["", "s", "-5s", "5 minutes", "1e3s", "5w", "ms5", "nan", "inf"])
    func textOutsideTheGrammarIsRefused(text: String) {
        #expect(ConfigReader.parseDuration(text) == nil)
    }

    @Test func zeroIsAProblemWhereItMeansNothing() {
        let problems = Self.problems("""
            backends:
              - {name: a, kind: ogc, url: 'https://x', request_timeout: 0s}
            """)
        #expect(problems.map(\.path) == ["backends[0].request_timeout"])
        #expect(problems.first?.message.contains("longer than zero") == true)
    }

    @Test func zeroIsAcceptedWhereItMeansOff() throws {
        let configuration = try Self.parse("""
            backends:
              - {name: a, kind: ogc, url: 'https://x', retry: {initial_delay: 0s}}
            """)
        #expect(configuration.backends.backends[0].retry.initialDelay == .zero)
    }

    @Test func oneGrammarForBackendAndTaskDurations() throws {
        let configuration = try Self.parse("""
            defaults:
              max_runtime: 2d
            coordinator:
              interval: 250ms
            backends:
              - name: a
                kind: ogc
                url: https://x
                poll: {min_interval: 2d, max_interval: 2d}
            """)
        #expect(configuration.defaults.maxRuntimeSeconds == 172_800)
        #expect(configuration.dispatchIntervalSeconds == 1, "rounded to a whole second, at least 1")
        #expect(configuration.backends.backends[0].poll.minimum == .seconds(172_800))
    }

    @Test func aKeyGivenTwiceIsAnErrorNamingBothLines() {
        let problems = Self.problems("""
            defaults:
              backend: a
              max_attempts: 2
              backend: b
            backends:
              - {name: a, kind: ogc, url: 'https://x'}
              - {name: b, kind: ogc, url: 'https://y'}
            """)
        #expect(problems.map(\.path) == ["defaults.backend"])
        #expect(problems.first?.message.contains("given twice (first on line 2)") == true)
        #expect(problems.first?.line == 4)
    }

    @Test func everyProblemInTheBackendsSectionIsReportedAtOnce() {
        let problems = Self.problems("""
            backends:
              - name: a
                kind: wps
                url: ftp://x
                max_active: 0
                poll: {min_interval: fast}
              - name: b
                kind: openeo
                url: https://y
                auth: {method: basic, username: u, password: hunter2}
              - {name: a, kind: ogc, url: 'https://z'}
            """)
        #expect(problems.map(\.path) == [
            "backends[0].kind", "backends[0].url", "backends[0].max_active", "backends[0].poll.min_interval",
            "backends[1].auth.password", "backends[2]",
        ])
        #expect(problems.allSatisfy { $0.line != nil }, "\(problems)")
        #expect(!problems.description.contains("hunter2"), "a secret written inline is not echoed")
    }

    @Test func keysOfAnotherAuthMethodAreReported() {
        let problems = Self.problems("""
            backends:
              - name: a
                kind: openeo
                url: https://x
                auth: {method: basic, username: u, password_env: P, token_env: T}
            """)
        #expect(problems.map(\.path) == ["backends[0].auth.token_env"])
        #expect(problems.first?.message.contains("not used by auth method 'basic'") == true)
    }

    @Test func theGridCheckIsAppliedToTheDefaults() {
        do {
            _ = try Self.parse("defaults: {grid: 'km20'}\n", gridCheck: { $0 == "km20" ? "did you mean 'km:20'?" : nil })
            Issue.record("a bad grid was accepted")
        } catch {
            #expect(error.problems.map(\.path) == ["defaults.grid"])
            #expect(error.description == "fleet.yaml: defaults.grid: did you mean 'km:20'? (line 1)")
        }
    }
}

/// The `limits:` section: job counts before `--yes` and at most.
@Suite struct JobLimitsTests {
    @Test func limitsAreReadWithDefaults() throws {
        let defaults = try ConfigReaderTests.parse("backends: []")
        #expect(defaults.limits == JobLimits(maxJobs: 1_000_000, confirmJobs: 100_000))
        let set = try ConfigReaderTests.parse("limits: {max_jobs: 5000, confirm_jobs: 500}")
        #expect(set.limits == JobLimits(maxJobs: 5000, confirmJobs: 500))
        let lowMax = try ConfigReaderTests.parse("limits: {max_jobs: 5000}")
        #expect(lowMax.limits == JobLimits(maxJobs: 5000, confirmJobs: 5000))
    }

    @Test func badLimitsAreRefusedWithTheirKey() {
        let problems = ConfigReaderTests.problems("limits: {max_jobs: 0, confirm_jobs: 10, max_job: 3}")
        #expect(problems.map(\.path).sorted() == ["limits.max_job", "limits.max_jobs"])
        let above = ConfigReaderTests.problems("limits: {max_jobs: 10, confirm_jobs: 20}")
        #expect(above.map(\.message) == ["20 is above limits.max_jobs (10)"])
    }
}

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
