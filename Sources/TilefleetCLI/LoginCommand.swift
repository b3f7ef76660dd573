import ArgumentParser
import Backends
import FleetConfig
import Foundation
import HTTP

/// `tilefleet login BACKEND`: the OIDC device authorization grant for a backend whose auth is
/// `oidc_device`; the refresh token goes to the backend's `refresh_token_file` (0600) and nowhere else.
struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Log in to a backend with the OIDC device flow; store the refresh token in its token file.",
        discussion: """
            The backend's auth must be {method: oidc_device, refresh_token_file: FILE}. The provider comes from the
            backend's GET /credentials/oidc (or auth.issuer), the client from the provider's default clients (or
            auth.client_id). Open the URL shown, enter the code (or open the complete URL) and approve; the refresh
            token is written to FILE (0600), which the fleet's processes share (see docs/operations.md).
            """)

    @Argument(help: "The backend's name in the fleet configuration.")
    var backend: String

    @Option(name: .customLong("config"), help: "The fleet configuration (default: $TILEFLEET_CONFIG, else ./tilefleet.yaml).")
    var config: String?

    func run() async throws {
        let (configured, file) = try Self.deviceBackend(backend, config: config)
        let client = HTTPClient(configuration: .init(timeout: configured.requestTimeout))
        defer { Task { await client.shutdown() } }
        let login = OIDCDeviceLogin(transport: BackendTransport(client: client, policy: configured.retry, requestTimeout: configured.requestTimeout))
        let target: OIDCDeviceLogin.Target
        let started: OIDCDeviceLogin.Started
        do {
            target = try await login.target(for: configured)
            started = try await login.start(target)
        } catch BackendError.configuration(let message) {
            CoordinatorSupport.printError("tilefleet login \(backend): \(message)")
            throw ExitCode(2)
        } catch {
            CoordinatorSupport.printError("tilefleet login \(backend): \(error)")
            throw ExitCode(1)
        }
        let authorization = started.authorization
        var lines = ["To log in to \(backend), open \(authorization.verificationURI.terminalSafe) and enter the code \(authorization.userCode.terminalSafe)"]
        if let complete = authorization.verificationURIComplete {
            lines.append("or open \(complete.terminalSafe)")
        }
        lines.append("(waiting for the approval; the code expires in \(max(1, Int(authorization.expiresIn.components.seconds / 60))) minutes)")
        // Unbuffered: the person (or a script) needs the code while the login waits.
        FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        do {
            let token = try await login.finish(started, target: target)
            try await RefreshTokenStore(path: file).store(token.refreshToken!, issuer: target.issuer, clientID: target.clientID)
        } catch BackendError.configuration(let message) {
            CoordinatorSupport.printError("tilefleet login \(backend): \(message)")
            throw ExitCode(2)
        } catch {
            CoordinatorSupport.printError("tilefleet login \(backend): \(error)")
            throw ExitCode(1)
        }
        print("logged in to \(backend) (client \(target.clientID) at \(target.issuer)); the refresh token is in \(file) (mode 0600)")
    }

    /// The backend and its token file, or exit 2 naming what is wrong.
    static func deviceBackend(_ name: String, config: String?) throws -> (BackendConfiguration, String) {
        let configured: BackendConfiguration
        do {
            configured = try FleetConfiguration.load(explicit: config).backend(named: name)
        } catch {
            CoordinatorSupport.printError("\(error)")
            throw ExitCode(2)
        }
        guard case .oidcDevice(_, _, _, _, let file) = configured.authentication else {
            CoordinatorSupport.printError(
                "tilefleet login: backend \(name) does not log in with the device flow: give it auth: {method: oidc_device, refresh_token_file: …}")
            throw ExitCode(2)
        }
        return (configured, file)
    }
}
