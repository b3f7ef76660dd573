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
