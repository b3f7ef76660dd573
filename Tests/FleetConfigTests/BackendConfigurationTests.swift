import FleetConfig
import Foundation
import Testing

/// The backends YAML: the example file, errors that name the offending key, and secrets that are
/// referenced, never inlined or echoed.
@Suite struct BackendConfigurationTests {
    @Test func exampleConfigParses() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../config/fleet.example.yaml").standardized.path
        let configuration = try FleetConfiguration.load(explicit: path, environment: [:], gridCheck: { _ in nil }).backends
        #expect(configuration.backends.map(\.kind) == [.openEO, .ogc, .eocanvas, .openEO, .command])
        let cdse = try configuration.backend(named: "cdse")
        #expect(cdse.maxActive == 2)
        #expect(cdse.poll == .init(minimum: .seconds(10), maximum: .seconds(120)))
        #expect(cdse.authentication == .oidcClientCredentials(
            clientID: "tilefleet", clientSecret: .environment("CDSE_CLIENT_SECRET"), provider: "CDSE", issuer: nil, scopes: nil))
        #expect(cdse.retry.maxAttempts == 5)
        #expect(cdse.retry.initialDelay == .seconds(1))
    }

    @Test func unknownKeysAndKindsAreNamed() {
        #expect(self.error("""
            backends:
              - name: a
                kind: openeo
                url: https://x.example/openeo
                max_activ: 3
            """)?.path == "backends[0].max_activ")
        let kind = self.error("""
            backends:
              - name: a
                kind: wps
                url: https://x.example
            """)
        #expect(kind?.path == "backends[0].kind")
        #expect(kind?.message.contains("unknown kind 'wps'") ?? false)
        #expect(self.error("""
            backends:
              - name: a
                kind: ogc
                url: https://x.example
                auth: { method: basic, username: u, pasword_env: P }
            """)?.path == "backends[0].auth.pasword_env")
        #expect(self.error("""
            backends:
              - name: a
                kind: ogc
                url: https://x.example
                auth: { method: kerberos }
            """)?.path == "backends[0].auth.method")
        #expect(self.error("backends:\n  - name: a\n    url: https://x\n")?.path == "backends[0].kind")
        #expect(self.error("backends:\n  - {name: a, kind: ogc, url: 'ftp://x'}\n")?.path == "backends[0].url")
        #expect(self.error("backends:\n  - {name: a, kind: ogc, url: 'https://x', poll: {min_interval: 5m, max_interval: 1m}}\n")?.path == "backends[0].poll")
        #expect(self.error("backends:\n  - {name: a, kind: ogc, url: 'https://x', request_timeout: soon}\n")?.path == "backends[0].request_timeout")
        #expect(self.error("backends:\n  - {name: a, kind: ogc, url: 'https://x'}\n  - {name: a, kind: ogc, url: 'https://y'}\n")?.message
            == "duplicate backend name 'a' (first at backends[0])")
    }

    @Test func healthSettingsDefaultToThreeFailuresAndTheDispatchIntervalAndAreCheckedWithTheirLine() throws {
        let plain = try BackendsConfiguration.parse(yaml: "backends:\n  - {name: a, kind: ogc, url: 'https://x'}\n").backends[0]
        #expect(plain.health.unhealthyAfter == 3)
        #expect(plain.health.probeInterval == nil)
        #expect(plain.health.probeInterval(dispatchInterval: .seconds(5)) == .seconds(10))
        #expect(plain.health.probeInterval(dispatchInterval: .seconds(20)) == .seconds(20))
        let set = try BackendsConfiguration.parse(yaml: """
            backends:
              - {name: a, kind: ogc, url: 'https://x', health: {unhealthy_after: 5, probe_interval: 2m}}
            """).backends[0]
        #expect(set.health == BackendHealthSettings(unhealthyAfter: 5, probeInterval: .seconds(120)))
        #expect(set.health.probeInterval(dispatchInterval: .seconds(5)) == .seconds(120))
        let zero = self.error("backends:\n  - name: a\n    kind: ogc\n    url: https://x\n    health: {unhealthy_after: 0}\n")
        #expect(zero?.path == "backends[0].health.unhealthy_after")
        #expect(zero?.line == 5)
        #expect(self.error("backends:\n  - {name: a, kind: ogc, url: 'https://x', health: {probe_interval: 0s}}\n")?.path
            == "backends[0].health.probe_interval")
        #expect(self.error("backends:\n  - {name: a, kind: ogc, url: 'https://x', health: {unhealthy: 2}}\n")?.path
            == "backends[0].health.unhealthy")
    }

    @Test func inlineSecretsAreRefusedWithoutEchoingThem() {
        let error = self.error("""
            backends:
              - name: a
                kind: openeo
                url: https://x.example
                auth: { method: basic, username: u, password: hunter2 }
            """)
        #expect(error?.path == "backends[0].auth.password")
        #expect(!"\(String(describing: error))".contains("hunter2"))
    }

    @Test func theDeviceFlowTakesATokenFileAndNeverARefreshToken() throws {
        let backend = try BackendsConfiguration.parse(yaml: """
            backends:
              - name: cdse
                kind: openeo
                url: https://x.example
                auth: { method: oidc_device, refresh_token_file: ~/.config/tilefleet/tokens.json, provider: CDSE }
            """).backend(named: "cdse")
        let home = ProcessInfo.processInfo.environment["HOME"] ?? ""
        #expect(backend.authentication == .oidcDevice(clientID: nil, provider: "CDSE", issuer: nil, scopes: nil,
                                                      refreshTokenFile: home.isEmpty ? "~/.config/tilefleet/tokens.json" : home + "/.config/tilefleet/tokens.json"))
        let missing = self.error("backends:\n  - {name: a, kind: openeo, url: 'https://x', auth: {method: oidc_device}}\n")
        #expect(missing?.path == "backends[0].auth.refresh_token_file")
        let inline = self.error("backends:\n  - {name: a, kind: openeo, url: 'https://x', auth: {method: oidc_device, refresh_token_file: t.json, refresh_token: abc123}}\n")
        #expect(inline?.path == "backends[0].auth.refresh_token")
        #expect(!"\(String(describing: inline))".contains("abc123"))
        let ogc = self.error("backends:\n  - {name: a, kind: ogc, url: 'https://x', auth: {method: oidc_device, refresh_token_file: t.json}}\n")
        #expect(ogc?.path == "backends[0].auth.issuer")
    }

    /// The first problem reported for `yaml`.
    private func error(_ yaml: String) -> ConfigurationProblem? {
        do {
            _ = try BackendsConfiguration.parse(yaml: yaml)
            return nil
        } catch {
            return error.problems.first
        }
    }
}
