import Backends
import FleetModel
import Foundation
import HTTP
import Simulator
import Storage
import Testing
import TestSupport

/// `tilefleet results --download --stac`, `logs` and `watch` as a user runs them: the executable
/// against a real database and real HTTP servers (a hostile backend, the simulator).
@Suite(.serialized) struct ResultsCommandTests {
    static var binary: String { TestEnvironment.tilefleetBinary }

    /// A fleet configuration whose backend `sim` is `url` with `auth` (YAML flow mapping).
    static func config(url: String, auth: String) throws -> URL {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-\(UUID().uuidString).yaml")
        try Data("backends:\n  - {name: sim, kind: openeo, url: \"\(url)\", max_active: 2, auth: \(auth)}\n".utf8).write(to: file)
        return file
    }

    /// Events that take `tile` to `finished` (job `job`) with `assets`, as a worker publishes them.
    static func finished(_ task: String, _ tile: String, job: String, assets: [BackendAsset], at time: Date = Date()) -> [StatusEvent] {
        [
            StatusEvent(task: task, tile: tile, attempt: 1, status: .submitted, backend: "sim", backendJobID: job, time: time),
            StatusEvent(task: task, tile: tile, attempt: 1, status: .finished, rawStatus: "finished", backend: "sim", backendJobID: job,
                        assets: assets.map { StatusEvent.Asset(href: $0.href, type: $0.mediaType, roles: $0.roles, title: $0.title ?? $0.name, size: $0.size) },
                        time: time.addingTimeInterval(1)),
        ]
    }

    @Test func resultsDownloadWithTheBackendsLoginAndSTACPointsAtTheFiles() async throws {
        let h = try await Harness.make()
        let hostile = HostileRoutes(authorization: "Bearer s3cret")
        let server = SimulatorServer { hostile.register(on: $0, away: "http://127.0.0.1:1/capture") }
        let outer = FileManager.default.temporaryDirectory.appendingPathComponent("tilefleet-results-\(UUID().uuidString)")
        do {
            let origin = "http://127.0.0.1:\(try await server.start())"
            let plan = try await h.submit(TaskFixtures.spec(id: "dl", columns: 2, rows: 1))
            let tile = plan.records[0].tileID
            let hrefs = HostileRoutes.assetHrefs(origin: origin, away: "")
            let assets = BackendAsset.screened([
                BackendAsset(name: "traversal", href: hrefs["traversal"]!, roles: ["data"]),
                BackendAsset(name: "twin-1", href: hrefs["twin-1"]!, mediaType: "image/tiff", roles: ["data"]),
                BackendAsset(name: "twin-2", href: hrefs["twin-2"]!, mediaType: "image/tiff", roles: ["data"]),
                BackendAsset(name: "inline", href: hrefs["inline"]!, mediaType: "text/plain", roles: ["data"]),
                BackendAsset(name: "evil", href: hrefs["file"]!, roles: ["data"]),
                BackendAsset(name: "huge", href: hrefs["huge"]!, roles: ["data"]),
            ])
            try await h.apply(Self.finished("dl", tile, job: "j1", assets: assets))
            let config = try Self.config(url: origin + "/openeo", auth: "{method: bearer, token_env: SIM_TOKEN}")
            defer { try? FileManager.default.removeItem(at: config) }
            let downloads = outer.appendingPathComponent("downloads"), stac = outer.appendingPathComponent("stac")
            let arguments = [Self.binary, "results", "dl", "--download", downloads.path, "--stac", stac.path, "--max-size", "1",
                             "--config", config.path, "--database-url", h.db.url.unredactedString]

            let (status, output) = try await TestEnvironment.runOnThread(arguments, environment: ["SIM_TOKEN": "s3cret"])
            #expect(status == 1, "\(output)")
            #expect(output.contains("downloaded 4, already complete 0, failed 1 of 5 assets"), "\(output)")
            #expect(output.contains("failed: \(tile)/huge: invalid response: GET \(origin)/huge: the server announces 1099511627776 bytes, more than the limit of 1048576"), "\(output)")
            #expect(output.contains("not fetched: \(tile): asset 'evil' rejected: the scheme 'file' is not fetched"), "\(output)")
            #expect(!output.contains("s3cret"))

            let tileDirectory = downloads.appendingPathComponent(tile)
            #expect(try FileManager.default.contentsOfDirectory(atPath: tileDirectory.path).sorted()
                == ["_.._escaped-traversal.txt", "inline.txt", "result-2.tif", "result.tif"])
            #expect(try String(contentsOf: tileDirectory.appendingPathComponent("inline.txt"), encoding: .utf8) == "inline result")
            #expect(hostile.seen.filter { $0.path.hasPrefix("/files/") }.map(\.authorization) == Array(repeating: "Bearer s3cret", count: 3))

            let itemURL = stac.appendingPathComponent("items/\(tile).json")
            let item = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: itemURL))
            guard case .object(let members)? = item["assets"] else { Issue.record("no assets in \(item)"); return }
            #expect(members.keys.sorted() == ["_.._escaped-traversal.txt", "huge", "inline.txt", "result-2.tif", "result.tif"])
            #expect(members["result-2.tif"]?["href"]?.stringValue == "../../downloads/\(tile)/result-2.tif")
            #expect(members["huge"]?["href"]?.stringValue == hrefs["huge"], "a failed download keeps its remote link")
            for (_, asset) in members where !(asset["href"]?.stringValue ?? "").hasPrefix("http") {
                let href = try #require(asset["href"]?.stringValue)
                let file = try #require(URL(string: href, relativeTo: itemURL)?.standardizedFileURL)
                #expect(FileManager.default.fileExists(atPath: file.path), "\(href) resolves to a downloaded file")
            }
            #expect(!(String(data: try Data(contentsOf: itemURL), encoding: .utf8) ?? "").contains("file:"))

            // A second run resumes: complete files are not fetched again.
            let before = hostile.seen.count
            let (again, secondOutput) = try await TestEnvironment.runOnThread(arguments, environment: ["SIM_TOKEN": "s3cret"])
            #expect(again == 1)
            #expect(secondOutput.contains("downloaded 0, already complete 4, failed 1 of 5 assets"), "\(secondOutput)")
            #expect(hostile.seen.count == before + 1, "only the failed asset is tried again")
        } catch {
            Issue.record(error)
        }
        try? FileManager.default.removeItem(at: outer)
        await server.stop()
        await h.tearDown()
    }

    @Test func logsPrintsTheJobsFullLogFromTheBackend() async throws {
        let h = try await Harness.make()
        let simulator = PlatformSimulator(configuration: .init(duration: .fixed(0.1), failureRate: 1))
        let server = SimulatorServer { simulator.register(on: $0) }
        do {
            let origin = "http://127.0.0.1:\(try await server.start())"
            let client = HTTPClient()
            let plain = BackendTransport(client: client)
            let backend = OpenEOBackend(name: "sim", baseURL: origin + "/openeo", transport: plain.with(authenticator: OpenEOAuthenticator.basic(
                baseURL: origin + "/openeo", username: "tilefleet", password: Secret("tilefleet"), transport: plain)))
            let job = try await backend.submit(BackendJob(process: .named(id: "ndvi", namespace: nil)), idempotencyKey: "logs-1")
            while try await backend.status(of: job).status != .failed { try await Task.sleep(for: .milliseconds(50)) }
            await client.shutdown()

            let plan = try await h.submit(TaskFixtures.spec(id: "lg", columns: 1, rows: 1))
            let tile = plan.records[0].tileID
            try await h.apply([StatusEvent(task: "lg", tile: tile, attempt: 1, status: .submitted, backend: "sim", backendJobID: job)])
            let config = try Self.config(url: origin + "/openeo", auth: "{method: basic, username: tilefleet, password_env: SIM_PASSWORD}")
            defer { try? FileManager.default.removeItem(at: config) }
            let common = ["--config", config.path, "--database-url", h.db.url.unredactedString]

            let (status, output) = try await TestEnvironment.runOnThread([Self.binary, "logs", "lg", tile] + common, environment: ["SIM_PASSWORD": "tilefleet"])
            #expect(status == 0, "\(output)")
            #expect(output.contains("INFO Job \(job) created."), "\(output)")
            #expect(output.contains("INFO Job started."), "\(output)")
            #expect(output.split(separator: "\n").contains { $0.contains(" ERROR ") }, "\(output)")

            let (noJob, message) = try await TestEnvironment.runOnThread([Self.binary, "logs", "lg", tile, "--attempt", "2"] + common,
                                                           environment: ["SIM_PASSWORD": "tilefleet"])
            #expect(noJob == 1)
            #expect(message.contains("tile \(tile) of task lg has no backend job for attempt 2"), "\(message)")
            let (unknown, unknownMessage) = try await TestEnvironment.runOnThread([Self.binary, "logs", "lg", "nope"] + common)
            #expect(unknown == 2)
            #expect(unknownMessage.contains("no such tile in the task: nope"), "\(unknownMessage)")
        } catch {
            Issue.record(error)
        }
        await server.stop()
        await h.tearDown()
    }

    @Test func watchOnAFinishedTaskAnswersAtOnceWithItsOwnDuration() async throws {
        let h = try await Harness.make()
        do {
            let plan = try await h.submit(TaskFixtures.spec(id: "done", columns: 2, rows: 1))
            let start = Date().addingTimeInterval(-7_500)
            _ = try await h.db.connection.query("UPDATE tasks SET created_at = \(start) WHERE id = 'done'")
            for (index, record) in plan.records.enumerated() {
                try await h.apply(Self.finished("done", record.tileID, job: "j\(index)", assets: [], at: start.addingTimeInterval(Double(index) * 60)))
            }
            // No broker is reachable: a finished task needs none.
            let (status, output) = try await TestEnvironment.runOnThread([Self.binary, "watch", "done", "--amqp-url", "amqp://guest:guest@127.0.0.1:1",
                                                            "--database-url", h.db.url.unredactedString])
            #expect(status == 0, "\(output)")
            let tiles = plan.records.count
            #expect(output.contains("task done done: \(tiles) finished, 0 failed, 0 canceled of \(tiles) in \(tiles - 1)m01s"), "\(output)")
        } catch {
            Issue.record(error)
        }
        await h.tearDown()
    }
}
