import Backends
import FleetConfig
import FleetModel
import Foundation
import HTTP
import TestSupport
import Testing

/// The openEO adapter's contract against openeo-driver's dummy backend (a real openEO server from
/// PyPI, basic auth), configured as an operator would configure it. The plug-in in
/// `RealServers/openeo_dummy.py` ends started jobs; everything else is the server's own behaviour.
@Suite("openEO contract: openeo-driver") struct OpenEODriverContractTests {
    static let password = "TILEFLEET_CONTRACT_PASSWORD"

    /// The backend as the fleet builds it: configuration, secret from the environment, basic auth.
    static func backend(_ server: RealServer, _ client: HTTPClient, password: String = RealServer.openEOPassword,
                        url: String? = nil) throws -> any Backend {
        let configuration = BackendConfiguration(
            name: "openeo-driver", kind: .openEO, url: url ?? server.apiRoot,
            authentication: .basic(username: RealServer.openEOUser, password: .environment(Self.password)),
            retry: RequestRetryPolicy(maxAttempts: 2, initialDelay: .milliseconds(10), maxDelay: .milliseconds(50))
        )
        return try configuration.makeBackend(client: client, environment: [Self.password: password])
    }

    /// A process graph whose spatial extent is a parameter, as a task's process-graph file has it.
    static func job(title: String) -> BackendJob {
        BackendJob(
            process: .processGraph([
                "load": .object([
                    "process_id": .string("load_collection"),
                    "arguments": .object(["id": .string("S2_FOOBAR"), "spatial_extent": .object(["from_parameter": .string("spatial_extent")])]),
                ]),
                "save": .object([
                    "process_id": .string("save_result"),
                    "arguments": .object(["data": .object(["from_node": .string("load")]), "format": .string("GTiff")]),
                    "result": .bool(true),
                ]),
            ]),
            arguments: ["spatial_extent": .object(["west": .number(5.0), "south": .number(51.0), "east": .number(5.1), "north": .number(51.1)])],
            title: title
        )
    }

    static func follow(_ backend: any Backend, _ id: String) async throws -> BackendJobStatus {
        var status = try await backend.status(of: id)
        let finished = try await eventually(timeout: .seconds(60), every: .milliseconds(100)) {
            status = try await backend.status(of: id)
            return status.status.isFinal
        }
        #expect(finished, "job \(id) still \(status.rawStatus)")
        return status
    }

    @Test func submitStatusFindResultsAndLogs() async throws {
        try await withRealServer(.openEODummy(runSeconds: 1), port: 18080) { server, client in
            let backend = try Self.backend(server, client)
            let id = try await backend.submit(Self.job(title: "contract · tile-1"), idempotencyKey: "contract-1")
            #expect(id.hasPrefix("j-"), "\(id)")

            // The server holds the graph with the tile filled in for the parameter.
            let stored = try await client.execute(HTTPClient.Request(
                server.apiRoot + "/jobs/\(id)",
                headers: ["Authorization": "Bearer basic//" + Data(RealServer.openEOUser.utf8).base64EncodedString()]
            ))
            let document = try JSONDecoder().decode(JSONValue.self, from: stored.body)
            let extent = document["process"]?["process_graph"]?["load"]?["arguments"]?["spatial_extent"]
            #expect(extent?["west"]?.numberValue == 5.0, "\(stored.text)")

            let final = try await Self.follow(backend, id)
            #expect(final.status == .finished)
            #expect(final.rawStatus == "finished")

            let found = try await backend.find(idempotencyKey: "contract-1")
            #expect(found == id)
            let none = try await backend.find(idempotencyKey: "contract-unknown")
            #expect(none == nil)

            let assets = try await backend.results(of: id)
            let tiff = try #require(assets.first { $0.name == "output.tiff" }, "\(assets.map(\.name))")
            #expect(tiff.mediaType == "image/tiff; application=geotiff")
            #expect(tiff.roles == ["data"])
            #expect(tiff.href.hasPrefix(server.apiRoot + "/jobs/\(id)/results/assets/"), "\(tiff.href)")

            let logs = try await backend.logs(of: id)
            #expect(!logs.isEmpty)
        }
    }

    @Test func aSecondSubmitOfOneKeyAfterALostAnswerFindsTheJob() async throws {
        try await withRealServer(.openEODummy(runSeconds: 30), port: 18081) { server, client in
            let backend = try Self.backend(server, client)
            let id = try await backend.submit(Self.job(title: "contract · tile-2"), idempotencyKey: "contract-2")
            // What a redelivered submit does first: find the job by its key; it is already started.
            let found = try await backend.find(idempotencyKey: "contract-2")
            #expect(found == id)
            let status = try await backend.status(of: id)
            #expect(status.status == .running)
        }
    }

    @Test func cancelEndsCanceled() async throws {
        try await withRealServer(.openEODummy(runSeconds: 60), port: 18082) { server, client in
            let backend = try Self.backend(server, client)
            let id = try await backend.submit(Self.job(title: "contract · cancel"), idempotencyKey: "contract-cancel")
            try await backend.cancel(id)
            let status = try await backend.status(of: id)
            #expect(status.status == .canceled)
            #expect(status.rawStatus == "canceled")
        }
    }

    @Test func aFailedJobCarriesItsErrorLogLine() async throws {
        try await withRealServer(.openEODummy(runSeconds: 0.5), port: 18083) { server, client in
            let backend = try Self.backend(server, client)
            let id = try await backend.submit(Self.job(title: "contract [fail]"), idempotencyKey: "contract-fail")
            let final = try await Self.follow(backend, id)
            #expect(final.status == .failed)
            #expect(final.rawStatus == "error")
            #expect(final.message?.contains("Simulated failure") == true, "\(String(describing: final.message))")
        }
    }

    @Test func wrongPasswordUnknownJobAndWrongRootAreNamed() async throws {
        try await withRealServer(.openEODummy(runSeconds: 1), port: 18084) { server, client in
            do {
                _ = try await Self.backend(server, client, password: "wrong").status(of: "j-1")
                Issue.record("expected an authentication error")
            } catch BackendError.authentication(let message) {
                #expect(message.contains("CredentialsInvalid"), "\(message)")
            }
            let backend = try Self.backend(server, client)
            do {
                _ = try await backend.status(of: "j-nope")
                Issue.record("expected notFound")
            } catch BackendError.notFound(let message) {
                #expect(message.contains("JobNotFound"), "\(message)")
                #expect(message.contains("(GET \(server.apiRoot)/jobs/j-nope)"), "\(message)")
            }

            // A URL one level above the API root: the 404 (of the login, the first call) names the
            // call, the root check the fix.
            let tooHigh = try Self.backend(server, client, url: server.origin)
            do {
                _ = try await tooHigh.submit(Self.job(title: "too high"), idempotencyKey: "too-high")
                Issue.record("expected notFound")
            } catch BackendError.notFound(let message) {
                #expect(message.contains("(GET \(server.origin)/credentials/basic)"), "\(message)")
            }
            let rootCheck = await (try #require(tooHigh as? any BackendInspection)).checkRoot()
            guard case .wrong(_, let suggested) = rootCheck else {
                Issue.record("\(rootCheck)")
                return
            }
            #expect(suggested == server.apiRoot)
        }
    }

    @Test func inspectionRootAccountAndDeclaredParameters() async throws {
        try await withRealServer(.openEODummy(runSeconds: 1), port: 18087) { server, client in
            let backend = try #require(try Self.backend(server, client) as? any BackendInspection)
            guard case .ok(let summary) = await backend.checkRoot() else {
                Issue.record("the API root was not recognised")
                return
            }
            #expect(summary.hasPrefix("openEO 1.2"), "\(summary)")
            let account = try await backend.account()
            #expect(account?.user == RealServer.openEOUser)

            // A predefined process, from GET /processes.
            let load = try #require(try await backend.describe(.named(id: "load_collection", namespace: nil)))
            #expect(load.parameter(named: "id")?.required == true)
            let extent = try #require(load.parameter(named: "spatial_extent"))
            #expect(extent.acceptedTileInputs?.contains(.bboxWGS84) == true, "\(String(describing: extent.schema))")

            // A stored UDP, from GET /process_graphs/{id}.
            var store = try HTTPClient.Request(server.apiRoot + "/process_graphs/ndvi_udp", method: .put, json: JSONValue.object([
                "id": .string("ndvi_udp"),
                "parameters": .array([
                    .object(["name": .string("spatial_extent"), "schema": .object(["type": .string("object"), "subtype": .string("bounding-box")])]),
                    .object(["name": .string("threshold"), "schema": .object(["type": .string("number")]), "default": .number(0.3)]),
                ]),
                "process_graph": .object(["add": .object([
                    "process_id": .string("add"), "arguments": .object(["x": .number(1), "y": .number(2)]), "result": .bool(true),
                ])]),
            ]))
            store.headers.add(name: "Authorization", value: "Bearer basic//" + Data(RealServer.openEOUser.utf8).base64EncodedString())
            let stored = try await client.execute(store)
            #expect(stored.isSuccess, "\(stored.status) \(stored.text)")
            let udp = try #require(try await backend.describe(.named(id: "ndvi_udp", namespace: nil)))
            #expect(udp.parameters.map(\.name) == ["spatial_extent", "threshold"])
            #expect(udp.parameters.map(\.required) == [true, false])
            // The same UDP by its URL (a task's `service.udp`), on the backend's own host: fetched with its login.
            let byURL = try #require(try await backend.describe(.named(id: "ndvi_udp", namespace: server.apiRoot + "/process_graphs/ndvi_udp")))
            #expect(byURL.parameters == udp.parameters)

            do {
                _ = try await backend.describe(.named(id: "load_colection", namespace: nil))
                Issue.record("expected notFound")
            } catch BackendError.notFound(let message) {
                #expect(message.contains("did you mean 'load_collection'?"), "\(message)")
            }
        }
    }

    /// The issue's user: a backend URL one level above the API root. `try` exits 2 (bad input, not a
    /// failed job) and names the URL to configure; so does `submit --dry-run`, before anything is stored.
    @Test func aURLAboveTheAPIRootIsRefusedWithTheRootToConfigure() async throws {
        try await withRealServer(.openEODummy(runSeconds: 1), port: 18089) { server, _ in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("contract-root-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let config = directory.appendingPathComponent("fleet.yaml").path
            try Data("""
                backends:
                  - {name: oe, kind: openeo, url: "\(server.origin)", auth: {method: basic, username: tilefleet, password_env: \(Self.password)}}
                """.utf8).write(to: URL(fileURLWithPath: config))
            let job = directory.appendingPathComponent("job.json").path
            try Data(#"{"process": {"process_graph": {"add": {"process_id": "add", "arguments": {"x": 1, "y": 2}, "result": true}}}}"#.utf8)
                .write(to: URL(fileURLWithPath: job))
            let task = directory.appendingPathComponent("task.yaml").path
            try Data("title: t\nbackend: oe\nservice: {process: load_collection}\nsplit: {aoi: '5.0,51.0,5.1,51.1', grid: km:20}\n".utf8)
                .write(to: URL(fileURLWithPath: task))
            let environment = [Self.password: RealServer.openEOPassword]
            let binary = TestEnvironment.tilefleetBinary

            let (tried, output) = try await TestEnvironment.runOnThread(
                [binary, "try", "--config", config, "--backend", "oe", "--job", job, "--tile", "t1"], environment: environment)
            #expect(tried == 2, "\(output)")
            #expect(output.contains("backends.oe.url: not the API root"), "\(output)")
            #expect(output.contains("did you mean url: \(server.apiRoot)?"), "\(output)")

            // Without the preflight, the submit's 404 names the call and then the root to configure.
            let (offline, answer) = try await TestEnvironment.runOnThread(
                [binary, "try", "--offline", "--config", config, "--backend", "oe", "--job", job, "--tile", "t1"], environment: environment)
            #expect(offline == 2, "\(answer)")
            #expect(answer.contains("(GET \(server.origin)/credentials/basic)"), "\(answer)")
            #expect(answer.contains("did you mean url: \(server.apiRoot)?"), "\(answer)")

            let (submitted, problems) = try await TestEnvironment.runOnThread(
                [binary, "submit", "--dry-run", "--config", config, task], environment: environment)
            #expect(submitted == 2, "\(problems)")
            #expect(problems.contains("backends.oe.url: not the API root"), "\(problems)")
            #expect(problems.contains("did you mean url: \(server.apiRoot)?"), "\(problems)")
        }
    }

    /// `tilefleet check` on the backends: all well with the right root and password; with a URL
    /// above the root and a wrong password, each problem is named with its fix, exit 1.
    @Test func checkNamesEachBackendProblemWithItsFix() async throws {
        try await withRealServer(.openEODummy(runSeconds: 1), port: 18092) { server, _ in
            let config = FileManager.default.temporaryDirectory.appendingPathComponent("contract-check-\(UUID().uuidString).yaml").path
            defer { try? FileManager.default.removeItem(atPath: config) }
            try Data("""
                backends:
                  - {name: right, kind: openeo, url: "\(server.apiRoot)", auth: {method: basic, username: tilefleet, password_env: \(Self.password)}}
                  - {name: high, kind: openeo, url: "\(server.origin)", auth: {method: basic, username: tilefleet, password_env: \(Self.password)}}
                  - {name: wrong-password, kind: openeo, url: "\(server.apiRoot)", auth: {method: basic, username: tilefleet, password_env: WRONG_PASSWORD}}
                """.utf8).write(to: URL(fileURLWithPath: config))
            let environment = [Self.password: RealServer.openEOPassword, "WRONG_PASSWORD": "nope"]
            let binary = TestEnvironment.tilefleetBinary

            let (good, report) = try await TestEnvironment.runOnThread(
                [binary, "check", "--backends-only", "--config", config, "--backend", "right"], environment: environment)
            #expect(good == 0, "\(report)")
            #expect(report.contains("credentials accepted: user tilefleet"), "\(report)")
            #expect(report.contains("all is well"), "\(report)")

            let (bad, problems) = try await TestEnvironment.runOnThread(
                [binary, "check", "--backends-only", "--config", config], environment: environment)
            #expect(bad == 1, "\(problems)")
            #expect(problems.contains("fix: set backends.high.url: \(server.apiRoot)"), "\(problems)")
            #expect(problems.contains("backend wrong-password") && problems.contains("credentials refused"), "\(problems)")
            #expect(problems.contains("2 problem(s)"), "\(problems)")
        }
    }

    /// `try --job` checks the job file's arguments against the predefined process it calls.
    @Test func tryChecksAJobFilesArgumentsAgainstTheProcess() async throws {
        try await withRealServer(.openEODummy(runSeconds: 1), port: 18093) { server, _ in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("contract-job-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let config = directory.appendingPathComponent("fleet.yaml").path
            try Data("""
                backends:
                  - {name: oe, kind: openeo, url: "\(server.apiRoot)", auth: {method: basic, username: tilefleet, password_env: \(Self.password)}}
                """.utf8).write(to: URL(fileURLWithPath: config))
            let job = directory.appendingPathComponent("job.json").path
            try Data(#"{"process": {"id": "load_collection"}, "arguments": {"id": "S2_FOOBAR", "spatial_extnt": {"west": 5, "south": 51, "east": 5.1, "north": 51.1}}}"#.utf8)
                .write(to: URL(fileURLWithPath: job))
            let (status, output) = try await TestEnvironment.runOnThread(
                [TestEnvironment.tilefleetBinary, "try", "--config", config, "--backend", "oe", "--job", job, "--tile", "t1"],
                environment: [Self.password: RealServer.openEOPassword])
            #expect(status == 2, "\(output)")
            #expect(output.contains("arguments.spatial_extnt: the process load_collection has no parameter 'spatial_extnt', did you mean 'spatial_extent'?"), "\(output)")
            #expect(output.contains("requires 'spatial_extent', which the arguments do not give"), "\(output)")
        }
    }

    /// openeo-driver answers an invalid or expired token with 403 `TokenInvalid` (not 401): the
    /// adapter fetches a new token once and resends.
    @Test func aTokenTheServerCallsInvalidIsRenewedOnce() async throws {
        try await withRealServer(.openEODummy(runSeconds: 1), port: 18094) { server, client in
            let fetches = Counter()
            let authenticator = TokenAuthenticator(prefix: "Bearer basic//") { _ in
                // The first token is one the server cannot read; the second is the user's.
                let token = fetches.next() == 1 ? "!not-a-token!" : Data(RealServer.openEOUser.utf8).base64EncodedString()
                return TokenCache.Token(accessToken: Secret(token), expiresIn: 3600, refreshToken: nil, now: Date())
            }
            let transport = BackendTransport(client: client, authenticator: authenticator)
            let backend = OpenEOBackend(name: "openeo-driver", baseURL: server.apiRoot, transport: transport)
            let id = try await backend.submit(Self.job(title: "renewed"), idempotencyKey: "contract-renew")
            #expect(id.hasPrefix("j-"))
            #expect(fetches.value == 2)
        }
    }
}

/// A thread-safe count of calls, for the token fetch above.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        count += 1
        return count
    }

    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }
}
