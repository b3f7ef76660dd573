import Backends
import FleetConfig
import Foundation
import HTTP
import Simulator
import TestSupport
import Testing

/// `tilefleet login` against the simulator's provider: the device flow with PKCE, the refresh
/// token in a 0600 file, and a fleet of authenticators sharing that file through refresh-token
/// rotation; refused and expired codes, a missing provider and unusable token files.
@Suite struct DeviceLoginTests {
    static func configuration(_ origin: String, file: String, extra: String = "") throws -> BackendConfiguration {
        try BackendsConfiguration.parse(yaml: """
            backends:
              - name: sim
                kind: openeo
                url: \(origin)/openeo
                auth: { method: oidc_device, refresh_token_file: \(file)\(extra) }
            """).backend(named: "sim")
    }

    static func tokenFile() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("tilefleet-tokens-\(UUID().uuidString)/refresh-tokens.json").path
    }

    /// The person at the verification page.
    static func decide(_ client: HTTPClient, _ origin: String, userCode: String, approve: Bool = true) async throws -> Int {
        var request = HTTPClient.Request(origin + "/oidc/verify", method: .post, headers: ["Content-Type": "application/x-www-form-urlencoded"])
        request.body = Data("user_code=\(userCode)&action=\(approve ? "approve" : "deny")&user=tilefleet".utf8)
        return try await client.execute(request).status
    }

    /// Logs in, approving the code as soon as it is shown; returns the target.
    static func logIn(_ client: HTTPClient, _ origin: String, _ backend: BackendConfiguration, file: String) async throws -> OIDCDeviceLogin.Target {
        let login = OIDCDeviceLogin(transport: BackendTransport(client: client, policy: testPolicy))
        let target = try await login.target(for: backend)
        let started = try await login.start(target)
        #expect(try await decide(client, origin, userCode: started.authorization.userCode) == 200)
        let token = try await login.finish(started, target: target)
        try await RefreshTokenStore(path: file).store(try #require(token.refreshToken), issuer: target.issuer, clientID: target.clientID)
        return target
    }

    @Test func aDeviceLoginStoresTheRefreshTokenOnlyItsOwnerMayRead() async throws {
        try await withSimulator { client, origin, simulator in
            let file = Self.tokenFile()
            defer { try? FileManager.default.removeItem(atPath: (file as NSString).deletingLastPathComponent) }
            let backend = try Self.configuration(origin, file: file)
            let login = OIDCDeviceLogin(transport: BackendTransport(client: client, policy: testPolicy))
            let target = try await login.target(for: backend)
            #expect(target.clientID == "tilefleet-public", "the provider's default client for the device flow")
            #expect(target.issuer == origin + "/oidc")
            #expect(target.scopes.contains("offline_access"))
            let started = try await login.start(target)
            #expect(started.authorization.verificationURI == origin + "/oidc/verify")
            #expect(started.authorization.verificationURIComplete == origin + "/oidc/verify?user_code=" + started.authorization.userCode)
            // Approved while the login polls.
            async let approval: Int = {
                try await Task.sleep(for: .milliseconds(1500))
                return try await Self.decide(client, origin, userCode: started.authorization.userCode)
            }()
            let token = try await login.finish(started, target: target)
            #expect(try await approval == 200)
            try await RefreshTokenStore(path: file).store(try #require(token.refreshToken), issuer: target.issuer, clientID: target.clientID)
            let mode = try #require((try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? NSNumber)?.intValue)
            #expect(mode & 0o777 == 0o600)
            let stored = try String(contentsOfFile: file, encoding: .utf8)
            #expect(stored.contains(token.refreshToken!.value))
            #expect(stored.contains(origin + "/oidc"), "keyed by issuer")
            #expect(stored.contains("tilefleet-public"), "and client")
            // The backend now works from the file.
            let working = try backend.makeBackend(client: client)
            _ = try await working.submit(udpJob, idempotencyKey: "device-login")
            #expect(simulator.stats().authFailures == 0)
        }
    }

    @Test func aFleetSharingOneLoginSurvivesRefreshTokenRotation() async throws {
        // 8 s access tokens (renewed with 2 s left, so a loaded machine never sends an expired one)
        // and rotation on: each refresh revokes the token used, so processes holding a stale copy
        // would fail. Every authenticator starts with a refresh of its own, and refreshes again
        // while the submits run.
        var configuration = SimulatorConfiguration(duration: .fixed(0.2))
        configuration.tokenLifetime = 8
        configuration.rotateRefreshTokens = true
        try await withSimulator(configuration) { client, origin, simulator in
            let file = Self.tokenFile()
            defer { try? FileManager.default.removeItem(atPath: (file as NSString).deletingLastPathComponent) }
            let backend = try Self.configuration(origin, file: file)
            let target = try await Self.logIn(client, origin, backend, file: file)
            let first = try RefreshTokenStore(path: file).token(issuer: target.issuer, clientID: target.clientID)
            // Three "workers", each with its own authenticator and token cache, as separate processes have.
            let workers = try (0..<3).map { _ in try backend.makeBackend(client: client) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, worker) in workers.enumerated() {
                    group.addTask {
                        for round in 0..<8 {
                            _ = try await worker.submit(udpJob, idempotencyKey: "fleet-\(index)-\(round)")
                            try await Task.sleep(for: .seconds(1))
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(simulator.stats().authFailures == 0)
            #expect(simulator.stats().jobsCreated == 24)
            let last = try RefreshTokenStore(path: file).token(issuer: target.issuer, clientID: target.clientID)
            #expect(last != first, "rotated tokens were written back")
            // The first token was revoked by its rotation: a process that kept it would have failed.
            var stale = HTTPClient.Request(origin + "/oidc/token", method: .post, headers: ["Content-Type": "application/x-www-form-urlencoded"])
            stale.body = Data("grant_type=refresh_token&client_id=tilefleet-public&refresh_token=\(first.value)".utf8)
            #expect(try await client.execute(stale).status == 400)
        }
    }

    @Test func aRefusedCodeAndAMissingDefaultClientAreClearErrors() async throws {
        try await withSimulator { client, origin, _ in
            let file = Self.tokenFile()
            let backend = try Self.configuration(origin, file: file)
            let login = OIDCDeviceLogin(transport: BackendTransport(client: client, policy: testPolicy))
            let target = try await login.target(for: backend)
            let refused = try await login.start(target)
            #expect(try await Self.decide(client, origin, userCode: refused.authorization.userCode, approve: false) == 200)
            await #expect { try await login.finish(refused, target: target) } throws: { error in
                "\(error)".contains("the login was refused at the provider")
            }
            // A code the provider does not know.
            #expect(try await Self.decide(client, origin, userCode: "NOPE-NOPE") == 404)
        }
        var noDevice = SimulatorConfiguration(duration: .fixed(0.2))
        noDevice.deviceClients = []
        try await withSimulator(noDevice) { client, origin, _ in
            let backend = try Self.configuration(origin, file: Self.tokenFile())
            let login = OIDCDeviceLogin(transport: BackendTransport(client: client, policy: testPolicy))
            await #expect { try await login.target(for: backend) } throws: { error in
                "\(error)".contains("names no default client for the device flow: set auth.client_id")
            }
        }
    }

    @Test func aBackendWithoutAnOIDCProviderIsAClearError() async throws {
        var configuration = SimulatorConfiguration(duration: .fixed(0.2))
        configuration.offerOIDC = false
        try await withSimulator(configuration) { client, origin, _ in
            let backend = try Self.configuration(origin, file: Self.tokenFile())
            let login = OIDCDeviceLogin(transport: BackendTransport(client: client, policy: testPolicy))
            await #expect { try await login.target(for: backend) } throws: { error in
                "\(error)".contains("backend sim offers no OIDC provider")
            }
        }
    }

    @Test func aMissingOrOthersReadableTokenFileIsAClearErrorNamingIt() async throws {
        try await withSimulator { client, origin, _ in
            let file = Self.tokenFile()
            defer { try? FileManager.default.removeItem(atPath: (file as NSString).deletingLastPathComponent) }
            let backend = try Self.configuration(origin, file: file).makeBackend(client: client)
            await #expect { _ = try await backend.submit(udpJob, idempotencyKey: "no-login") } throws: { error in
                "\(error)".contains("\(file): cannot read: ") && "\(error)".contains("run tilefleet login")
            }
            let configured = try Self.configuration(origin, file: file)
            _ = try await Self.logIn(client, origin, configured, file: file)
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file)
            let exposed = try configured.makeBackend(client: client)
            await #expect { _ = try await exposed.submit(udpJob, idempotencyKey: "exposed") } throws: { error in
                "\(error)".contains("may be read by others (mode 644): chmod 600 \(file)")
            }
        }
    }
}
