import Backends
import FleetConfig
import Foundation
import HTTP
import Simulator
import TestSupport
import Testing

/// Authentication configured from YAML against the simulator: OIDC refresh-token and client-credentials
/// grants, and a Retry-After too long to wait for.
@Suite struct AuthenticationTests {
    @Test func openEORefreshTokenGrant() async throws {
        try await withSimulator { client, origin, simulator in
            var form = HTTPClient.Request(origin + "/oidc/token", method: .post, headers: ["Content-Type": "application/x-www-form-urlencoded"])
            form.body = Data("grant_type=client_credentials&client_id=tilefleet-client&client_secret=tilefleet-secret".utf8)
            let issued = try JSONSerialization.jsonObject(with: try await client.execute(form).body) as? [String: Any]
            let refresh = try #require(issued?["refresh_token"] as? String)
            let yaml = """
                backends:
                  - name: sim
                    kind: openeo
                    url: \(origin)/openeo
                    auth: { method: oidc_refresh_token, client_id: tilefleet-client, refresh_token_env: REFRESH }
                """
            let backend = try BackendsConfiguration.parse(yaml: yaml).backend(named: "sim")
                .makeBackend(client: client, environment: ["REFRESH": refresh])
            let id = try await backend.submit(udpJob, idempotencyKey: "refresh-grant")
            simulator.expireTokens()
            let status = try await backend.status(of: id)
            #expect(!status.rawStatus.isEmpty)
            #expect(simulator.stats().authFailures == 1)
        }
    }

    @Test func ogcWithOIDCClientCredentialsFromTheIssuer() async throws {
        try await withSimulator { client, origin, simulator in
            let yaml = """
                backends:
                  - name: ogc
                    kind: ogc
                    url: \(origin)/ogc
                    auth: { method: oidc_client_credentials, issuer: \(origin)/oidc, client_id: tilefleet-client, client_secret_file: /dev/null }
                """
            let configuration = try BackendsConfiguration.parse(yaml: yaml).backend(named: "ogc")
            let error = #expect(throws: (any Error).self) { try configuration.makeBackend(client: client) }
            if let error {
                #expect("\(error)".contains("secret file /dev/null"), "\(error)")
            }
            let secretFile = FileManager.default.temporaryDirectory.appendingPathComponent("tilefleet-client-secret-\(UUID())")
            try "tilefleet-secret\n".write(to: secretFile, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: secretFile) }
            let backend = try BackendsConfiguration.parse(yaml: yaml.replacingOccurrences(of: "/dev/null", with: secretFile.path))
                .backend(named: "ogc").makeBackend(client: client)
            let id = try await backend.submit(ogcJob, idempotencyKey: "ogc-oidc")
            simulator.expireTokens()
            let status = try await backend.status(of: id)
            #expect(status.status == .submitted || status.status == .running || status.status == .finished)
        }
    }

    @Test func longRetryAfterEndsTheCallAsTryLater() async throws {
        try await withSimulator { client, origin, simulator in
            let backend = openEOBasic(client, origin)
            let id = try await backend.submit(udpJob, idempotencyKey: "long-retry-after")
            simulator.inject(SimulatedFault(.throttle, method: "GET", pathSuffix: id, retryAfter: 600))
            do {
                _ = try await backend.status(of: id)
                Issue.record("expected tryLater")
            } catch BackendError.tryLater(let retryAfter, let message, _) {
                #expect(retryAfter == .seconds(600))
                #expect(message.contains("TooManyRequests"), "\(message)")
            }
        }
    }
}
