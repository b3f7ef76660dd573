@testable import FleetConfig
import Testing

/// `recovery:`: leases, the heal interval, the skew, and the silence a tile needs before it is republished.
@Suite struct RecoveryConfigurationTests {
    @Test func defaultsWithoutASection() throws {
        let configuration = try ConfigReaderTests.parse("coordinator: {interval: 5s}")
        #expect(configuration.recovery == RecoveryConfiguration(lease: .seconds(600), healInterval: .seconds(30), clockSkew: .seconds(30)))
    }

    @Test func readsEveryKey() throws {
        let configuration = try ConfigReaderTests.parse("""
            recovery: {lease: 5m, heal_interval: 10s, clock_skew: 0s}
            backends:
              - {name: a, kind: ogc, url: 'https://x', request_timeout: 20s, retry: {max_attempts: 3, max_delay: 10s, jitter: 0, max_retry_after: 5s}}
            """)
        #expect(configuration.recovery == RecoveryConfiguration(lease: .seconds(300), healInterval: .seconds(10), clockSkew: .zero))
        // Three attempts of 20 s with two waits of 10 s between them.
        let backend = try configuration.backends.backend(named: "a")
        #expect(backend.longestSubmit == .seconds(80))
        #expect(configuration.recoverySilence == ["a": .seconds(380)])
    }

    @Test func problemsNameTheKey() {
        let problems = ConfigReaderTests.problems("recovery: {lease: soon, heal_interval: 0s, every: 5s}")
        #expect(Set(problems.map(\.path)) == ["recovery.lease", "recovery.heal_interval", "recovery.every"])
    }
}
