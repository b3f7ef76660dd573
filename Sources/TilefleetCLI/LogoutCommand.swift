import ArgumentParser
import Backends
import FleetConfig
import Foundation
import HTTP

/// `tilefleet logout BACKEND`: removes the backend's refresh token from its token file.
struct LogoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logout",
        abstract: "Remove a backend's refresh token (from tilefleet login) from its token file.")

    @Argument(help: "The backend's name in the fleet configuration.")
    var backend: String

    @Option(name: .customLong("config"), help: "The fleet configuration (default: $TILEFLEET_CONFIG, else ./tilefleet.yaml).")
    var config: String?

    func run() async throws {
        let (configured, file) = try LoginCommand.deviceBackend(backend, config: config)
        let client = HTTPClient(configuration: .init(timeout: configured.requestTimeout))
        defer { Task { await client.shutdown() } }
        let login = OIDCDeviceLogin(transport: BackendTransport(client: client, policy: configured.retry, requestTimeout: configured.requestTimeout))
        do {
            let target = try await login.target(for: configured)
            let removed = try await RefreshTokenStore(path: file).remove(issuer: target.issuer, clientID: target.clientID)
            print(removed ? "logged out of \(backend): its refresh token was removed from \(file)" : "\(backend) was not logged in (\(file) holds no token for it)")
        } catch BackendError.configuration(let message) {
            CoordinatorSupport.printError("tilefleet logout \(backend): \(message)")
            throw ExitCode(2)
        } catch {
            CoordinatorSupport.printError("tilefleet logout \(backend): \(error)")
            throw ExitCode(1)
        }
    }
}
