@testable import Backends
import Foundation
import XCTest

final class BackendConfigurationTests: XCTestCase {
    func testExampleConfigParses() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../config/fleet.example.yaml").standardized.path
        let configuration = try BackendsConfiguration.load(path: path)
        XCTAssertEqual(configuration.backends.map(\.kind), [.openEO, .ogc, .eocanvas, .openEO])
        let cdse = try configuration.backend(named: "cdse")
        XCTAssertEqual(cdse.maxActive, 2)
        XCTAssertEqual(cdse.poll, .init(minimum: .seconds(10), maximum: .seconds(120)))
        XCTAssertEqual(cdse.authentication, .oidcClientCredentials(
            clientID: "tilefleet", clientSecret: .environment("CDSE_CLIENT_SECRET"), provider: "CDSE", issuer: nil, scopes: nil))
        XCTAssertEqual(cdse.retry.maxAttempts, 5)
        XCTAssertEqual(cdse.retry.initialDelay, .seconds(1))
    }

    func testUnknownKeysAndKindsAreNamed() {
        XCTAssertEqual(self.error("""
            backends:
              - name: a
                kind: openeo
                url: https://x.example/openeo
                max_activ: 3
            """)?.path, "backends[0].max_activ")
        let kind = self.error("""
            backends:
              - name: a
                kind: wps
                url: https://x.example
            """)
        XCTAssertEqual(kind?.path, "backends[0].kind")
        XCTAssertTrue(kind?.message.contains("unknown kind 'wps'") ?? false)
        XCTAssertEqual(self.error("""
            backends:
              - name: a
                kind: ogc
                url: https://x.example
                auth: { method: basic, username: u, pasword_env: P }
            """)?.path, "backends[0].auth.pasword_env")
        XCTAssertEqual(self.error("""
            backends:
              - name: a
                kind: ogc
                url: https://x.example
                auth: { method: kerberos }
            """)?.path, "backends[0].auth.method")
        XCTAssertEqual(self.error("backends:\n  - name: a\n    url: https://x\n")?.path, "backends[0].kind")
        XCTAssertEqual(self.error("backends:\n  - {name: a, kind: ogc, url: 'ftp://x'}\n")?.path, "backends[0].url")
        XCTAssertEqual(self.error("backends:\n  - {name: a, kind: ogc, url: 'https://x', poll: {min_interval: 5m, max_interval: 1m}}\n")?.path, "backends[0].poll")
        XCTAssertEqual(self.error("backends:\n  - {name: a, kind: ogc, url: 'https://x'}\n  - {name: a, kind: ogc, url: 'https://y'}\n")?.message,
            "duplicate backend name 'a'")
    }

    func testInlineSecretsAreRefusedWithoutEchoingThem() {
        let error = self.error("""
            backends:
              - name: a
                kind: openeo
                url: https://x.example
                auth: { method: basic, username: u, password: hunter2 }
            """)
        XCTAssertEqual(error?.path, "backends[0].auth.password")
        XCTAssertFalse("\(String(describing: error))".contains("hunter2"))
    }

    func testSecretResolutionNamesTheVariableNotTheValue() throws {
        XCTAssertEqual(try SecretReference.environment("PW").resolve(environment: ["PW": "v"]).value, "v")
        XCTAssertThrowsError(try SecretReference.environment("MISSING").resolve(environment: [:])) { error in
            XCTAssertTrue("\(error)".contains("MISSING"))
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tilefleet-secret-\(UUID())")
        try "from-file\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        XCTAssertEqual(try SecretReference.file(file.path).resolve().value, "from-file")
    }

    private func error(_ yaml: String) -> ConfigurationError? {
        do {
            _ = try BackendsConfiguration.parse(yaml: yaml)
            return nil
        } catch {
            return error as? ConfigurationError
        }
    }
}
