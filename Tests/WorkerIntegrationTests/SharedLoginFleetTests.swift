import Backends
import FleetConfig
import FleetModel
import Foundation
import HTTP
import Simulator
import Testing
import TestSupport

/// One `tilefleet login` serving three `tilefleet worker` processes through refresh-token
/// rotation and short-lived access tokens, on the real broker and the simulator.
@Suite(.serialized) struct SharedLoginFleetTests {
    /// How long the tiles keep the fleet busy, in seconds (`TILEFLEET_LOGIN_SOAK_SECONDS`; the
    /// issue's run is 600 with 60 s tokens: see docs/operations.md).
    static let soakSeconds = Double(ProcessInfo.processInfo.environment["TILEFLEET_LOGIN_SOAK_SECONDS"] ?? "") ?? 30

    @Test func threeWorkersShareOneRotatingLoginWithoutAnAuthenticationFailureOrALostTile() async throws {
        var configuration = SimulatorConfiguration(duration: .fixed(3), seed: 7)
        configuration.tokenLifetime = Double(ProcessInfo.processInfo.environment["TILEFLEET_LOGIN_TOKEN_SECONDS"] ?? "") ?? 8
        configuration.rotateRefreshTokens = true
        configuration.concurrencyLimit = 20
        let fleet = try await FleetHarness(simulator: configuration, auth: "{method: oidc_device, refresh_token_file: tokenFile}")
        do {
            // Log in as a person would: the code approved at the verification page.
            let client = HTTPClient(configuration: .init(timeout: .seconds(10)))
            defer { Task { await client.shutdown() } }
            let backend = try FleetConfiguration.load(explicit: fleet.configPath).backend(named: "sim")
            let login = OIDCDeviceLogin(transport: BackendTransport(client: client, policy: backend.retry))
            let target = try await login.target(for: backend)
            let started = try await login.start(target)
            var approve = HTTPClient.Request(fleet.server.baseURL! + "/oidc/verify", method: .post,
                                             headers: ["Content-Type": "application/x-www-form-urlencoded"])
            approve.body = Data("user_code=\(started.authorization.userCode)&action=approve".utf8)
            #expect(try await client.execute(approve).status == 200)
            let token = try await login.finish(started, target: target)
            try await RefreshTokenStore(path: fleet.tokenFile).store(try #require(token.refreshToken), issuer: target.issuer, clientID: target.clientID)
            let first = try RefreshTokenStore(path: fleet.tokenFile).token(issuer: target.issuer, clientID: target.clientID)

            for _ in 0..<3 { try fleet.spawnWorker() }
            // Three-second jobs, 20 at a time per wave, for the soak: every worker refreshes many times.
            let tiles = max(20, Int(Self.soakSeconds / 3) * 20)
            try await fleet.publishSubmits(tiles, maxAttempts: 1)
            let terminal = try await fleet.waitForTerminal(tiles, timeout: .seconds(Int64(Self.soakSeconds * 4 + 120)))
            #expect(terminal.count == tiles, "worker log: \(fleet.workerLog(0).suffix(2000))")
            #expect(terminal.values.allSatisfy { $0.status == .finished }, "\(terminal.values.filter { $0.status != .finished }.prefix(3))")
            // Every finished job reports what it cost.
            #expect(terminal.values.allSatisfy { ($0.costs ?? 0) > 0 })
            let stats = fleet.simulator.stats()
            #expect(stats.authFailures == 0, "worker log: \(fleet.workerLog(0).suffix(2000))")
            #expect(stats.duplicateKeys.isEmpty)
            #expect(try RefreshTokenStore(path: fleet.tokenFile).token(issuer: target.issuer, clientID: target.clientID) != first)
            for n in 0..<3 {
                #expect(!fleet.workerLog(n).contains(first.value), "no refresh token in a log")
            }
        } catch {
            await fleet.shutDown()
            throw error
        }
        await fleet.shutDown()
    }
}
