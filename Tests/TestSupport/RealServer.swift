import ChildProcess
import Foundation
import HTTP
#if canImport(Glibc)
import Glibc
#endif

/// A real third-party server for the backends' contract tests, run from the virtual environment
/// that `make real-servers` fills from PyPI (`.local/real-servers`): openeo-driver's dummy backend
/// (with the small plug-in `RealServers/openeo_dummy.py` that ends started jobs) and pygeoapi
/// (`RealServers/pygeoapi_server.py`). Each test starts its own on a loopback port of its own and
/// stops it; a missing environment is a failure naming the command that installs it, never a skip.
public struct RealServer: Sendable {
    public enum Kind: Sendable {
        /// openeo-driver's dummy backend; API root `/openeo/1.2`, basic auth (user `tilefleet`, password `TILEFLEET!!!`).
        /// A started job ends after `runSeconds`; a job whose title contains `[fail]` ends in `error`.
        case openEODummy(runSeconds: Double)
        /// pygeoapi with its `hello-world` process, asynchronous jobs in TinyDB.
        case pygeoapi
    }

    /// The openeo-driver dummy backend's account for `tilefleet`.
    public static let openEOUser = "tilefleet"
    public static let openEOPassword = "TILEFLEET!!!"

    public let kind: Kind
    public let port: Int
    public let process: ChildProcess
    public let logPath: String

    /// The server's origin, `http://127.0.0.1:<port>`.
    public var origin: String { "http://127.0.0.1:\(self.port)" }

    /// The API root the adapters are configured with.
    public var apiRoot: String {
        switch self.kind {
        case .openEODummy: self.origin + "/openeo/1.2"
        case .pygeoapi: self.origin
        }
    }

    /// The virtual environment's interpreter.
    public static var python: String {
        TestEnvironment.projectRoot.appendingPathComponent(".local/real-servers/bin/python").path
    }

    static func script(_ name: String) -> String {
        TestEnvironment.projectRoot.appendingPathComponent("Tests/TestSupport/RealServers/\(name)").path
    }

    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Starts the server on `port` (18080–18099 are the contract tests') and waits until its API
    /// root answers 200, or fails with the server's log.
    public static func start(_ kind: Kind, port: Int, timeout: Duration = .seconds(90)) async throws -> RealServer {
        guard FileManager.default.isExecutableFile(atPath: self.python) else {
            throw StartError(description: "no \(self.python): run `make real-servers` (installs openeo-driver and pygeoapi from PyPI)")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tilefleet-real-\(port)-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let logPath = directory + "/server.log"
        let arguments: [String]
        switch kind {
        case .openEODummy(let runSeconds):
            arguments = [self.python, self.script("openeo_dummy.py"), String(port), String(runSeconds)]
        case .pygeoapi:
            arguments = [self.python, self.script("pygeoapi_server.py"), String(port), directory]
        }
        let client = HTTPClient(configuration: .init(timeout: .seconds(5)))
        defer { Task { await client.shutdown() } }
        // Something already answering on the port would pass the readiness check below in its place.
        if (try? await client.execute(HTTPClient.Request("http://127.0.0.1:\(port)/"))) != nil {
            throw StartError(description: "port \(port) is already in use: stop what listens there")
        }
        let process = try ChildProcess.spawn(arguments, environment: ["PYTHONUNBUFFERED": "1"], outputPath: logPath, truncate: true)
        let server = RealServer(kind: kind, port: port, process: process, logPath: logPath)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status = process.exitStatusIfEnded() {
                throw StartError(description: "the server \(arguments.joined(separator: " ")) exited with \(status):\n\(server.log)")
            }
            if let response = try? await client.execute(HTTPClient.Request(server.apiRoot + "/", headers: ["Accept": "application/json"])),
               response.status == 200 {
                return server
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        server.stop()
        throw StartError(description: "the server on port \(port) did not answer within \(timeout):\n\(server.log)")
    }

    /// The server's output so far.
    public var log: String {
        (try? String(contentsOfFile: self.logPath, encoding: .utf8)) ?? "(no log)"
    }

    /// Stops the server and reaps it. SIGKILL: the test process blocks signals on its threads and a
    /// spawned child inherits that mask, so SIGTERM would never arrive; the servers keep nothing.
    public func stop() {
        _ = self.process.stop(signal: SIGKILL)
        try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: self.logPath).deletingLastPathComponent().path)
    }
}

/// Runs `body` against a freshly started real server, then stops it, whether `body` throws or not.
public func withRealServer(
    _ kind: RealServer.Kind, port: Int,
    _ body: (_ server: RealServer, _ client: HTTPClient) async throws -> Void
) async throws {
    let server = try await RealServer.start(kind, port: port)
    let client = HTTPClient(configuration: .init(timeout: .seconds(30)))
    do {
        try await body(server, client)
    } catch {
        // The server's side of a failure, before its directory goes.
        FileHandle.standardError.write(Data("--- log of the server on port \(port):\n\(server.log.suffix(4000))\n".utf8))
        await client.shutdown()
        server.stop()
        throw error
    }
    await client.shutdown()
    server.stop()
}
