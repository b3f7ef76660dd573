import Backends
import ChildProcess
import FleetConfig
import FleetModel
import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The command backend with real processes: its detached supervisor (`tilefleet command-job`,
/// the executable built beside the tests), status files, logs, result files, the one start per
/// key, the per-host limit, the timeout and resource limits, a cancel, and a supervisor that
/// vanished.
@Suite struct CommandBackendTests {
    /// A backend on a fresh work directory; `python3 -c` programs stand for users' scripts.
    static func backend(maxPerHost: Int = 2, timeout: Duration = .seconds(60), cpuTime: Duration? = nil, memory: Int? = nil,
                        output: Bool = false) throws -> (CommandBackend, String) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tilefleet-command-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let settings = CommandSettings(workDirectory: root + "/jobs", outputDirectory: output ? root + "/out" : nil, maxPerHost: maxPerHost,
                                       timeout: timeout, cpuTime: cpuTime, memoryBytes: memory, supervisor: TestEnvironment.tilefleetBinary)
        return (CommandBackend(name: "local", settings: settings), root)
    }

    static func job(_ python: String, arguments: [String: JSONValue] = [:]) -> BackendJob {
        BackendJob(process: .command(["python3", "-c", python]), arguments: arguments)
    }

    /// Polls until the job has ended; its last status.
    static func ended(_ backend: CommandBackend, _ id: String) async throws -> BackendJobStatus {
        var status = try await backend.status(of: id)
        try await eventually(timeout: .seconds(60)) {
            status = try await backend.status(of: id)
            return [.finished, .failed, .canceled].contains(status.status)
        }
        return status
    }

    @Test func aProgramRunsWithTheTileAndItsFilesBecomeAssets() async throws {
        let (backend, root) = try Self.backend(output: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let program = """
            import json, os, sys
            print("bbox", os.environ["TILEFLEET_BBOX"], os.environ["TILEFLEET_CRS"], os.environ["TILEFLEET_WINDOW"])
            print("cwd", os.getcwd())
            print("a warning", file=sys.stderr)
            arguments = json.load(open(os.environ["TILEFLEET_ARGUMENTS"]))
            with open(os.path.join(os.environ["TILEFLEET_OUTPUT_DIR"], "tile.geojson"), "w") as f:
                json.dump({"type": "FeatureCollection", "features": [], "band": arguments["band"]}, f)
            """
        let arguments: [String: JSONValue] = [
            "spatial_extent": .object(["west": .number(350_000), "south": .number(5_640_000), "east": .number(352_560), "north": .number(5_642_560),
                                       "crs": .number(32632)]),
            "temporal_extent": .array([.string("2023-05-01"), .string("2023-05-31")]),
            "band": .string("B08"),
        ]
        let id = try await backend.submit(Self.job(program, arguments: arguments), idempotencyKey: "tilefleet:t:32632-X136-Y2203:1")
        #expect(id == "\(backend.host)/tilefleet%3At%3A32632-X136-Y2203%3A1")
        let status = try await Self.ended(backend, id)
        #expect(status.status == .finished, "\(status)")

        let assets = try await backend.results(of: id)
        #expect(assets.map(\.name) == ["tile.geojson"])
        let href = try #require(assets.first?.href)
        #expect(href == "file://\(root)/out/tilefleet%253At%253A32632-X136-Y2203%253A1/tile.geojson")
        #expect(assets.first?.mediaType == "application/geo+json")
        let written = try String(contentsOfFile: "\(root)/out/tilefleet%3At%3A32632-X136-Y2203%3A1/tile.geojson", encoding: .utf8)
        #expect(written.contains("\"band\": \"B08\""))
        #expect(assets.first?.size == written.utf8.count)

        let logs = try await backend.logs(of: id)
        #expect(logs.contains(BackendLogEntry(level: "info", message: "bbox 350000,5640000,352560,5642560 EPSG:32632 2023-05-01/2023-05-31")))
        #expect(logs.contains(BackendLogEntry(level: "info", message: "cwd \(root)/jobs/tilefleet%3At%3A32632-X136-Y2203%3A1/work")))
        #expect(logs.contains(BackendLogEntry(level: "error", message: "a warning")))
    }

    @Test func aRedeliveredSubmitNeverStartsTheProgramTwice() async throws {
        let (backend, root) = try Self.backend()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let counter = root + "/starts"
        let job = Self.job("open('\(counter)', 'a').write('started\\n')")
        let key = "tilefleet:t:tile:1"
        #expect(try await backend.find(idempotencyKey: key) == nil)
        let first = try await backend.submit(job, idempotencyKey: key)
        let again = try await backend.submit(job, idempotencyKey: key)
        let found = try await backend.find(idempotencyKey: key)
        #expect(again == first && found == first)
        #expect(try await Self.ended(backend, first).status == .finished)
        #expect(try String(contentsOfFile: counter, encoding: .utf8) == "started\n")
    }

    @Test func theHostsLimitMakesAFurtherSubmitTryLaterAndACancelStopsTheProgram() async throws {
        let (backend, root) = try Self.backend(maxPerHost: 1)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let long = try await backend.submit(Self.job("import time; time.sleep(120)"), idempotencyKey: "k1")
        try await eventually { try await backend.status(of: long).status == .running }
        await #expect {
            try await backend.submit(Self.job("print(1)"), idempotencyKey: "k2")
        } throws: { error in
            guard case BackendError.tryLater(_, let message, _) = error else { return false }
            return message.contains("command.max_per_host: 1")
        }
        try await backend.cancel(long)
        let canceled = try await Self.ended(backend, long)
        #expect(canceled.status == .canceled)
        let second = try await backend.submit(Self.job("print(1)"), idempotencyKey: "k2")
        #expect(try await Self.ended(backend, second).status == .finished)
    }

    @Test func aProgramBeyondItsTimeoutIsKilledAndTheAttemptFails() async throws {
        let (backend, root) = try Self.backend(timeout: .seconds(1))
        defer { try? FileManager.default.removeItem(atPath: root) }
        let id = try await backend.submit(Self.job("import time; time.sleep(60)"), idempotencyKey: "slow")
        let status = try await Self.ended(backend, id)
        #expect(status.status == .failed)
        #expect(status.message == "timed out: killed after 1 s (command.timeout)")
        let last = try #require(try await backend.logs(of: id).last)
        #expect(last.level == "error" && last.message == "tilefleet: timed out: killed after 1 s (command.timeout)")
    }

    @Test func theCPUAndMemoryLimitsHoldInTheProgram() async throws {
        let (backend, root) = try Self.backend(cpuTime: .seconds(1), memory: 256 << 20)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let spin = try await backend.submit(Self.job("while True: pass"), idempotencyKey: "spin")
        let spun = try await Self.ended(backend, spin)
        #expect(spun.status == .failed)
        #expect(spun.message == "killed by SIGXCPU: the CPU time limit of 1 s was exceeded")

        let hog = try await backend.submit(Self.job("x = bytearray(1024 * 1024 * 1024)"), idempotencyKey: "hog")
        let hogged = try await Self.ended(backend, hog)
        #expect(hogged.status == .failed)
        #expect(try await backend.logs(of: hog).contains { $0.level == "error" && $0.message == "MemoryError" })
    }

    @Test func aJobWhoseSupervisorVanishedFailsAndItsProgramIsStopped() async throws {
        let (backend, root) = try Self.backend()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let id = try await backend.submit(Self.job("import time; time.sleep(120)"), idempotencyKey: "orphan")
        let directory = CommandJobDirectory(workDirectory: backend.settings.workDirectory, idempotencyKey: "orphan")
        var record: CommandJobRecord?
        try await eventually {
            record = try directory.record()
            return record?.programPID != nil
        }
        let running = try #require(record)
        kill(running.supervisorPID, SIGKILL)
        try await eventually { !ChildProcess.exists(pid: running.supervisorPID) }
        let status = try await backend.status(of: id)
        #expect(status.status == .failed)
        #expect(status.message?.contains("supervisor (pid \(running.supervisorPID) on \(backend.host)) is gone") == true)
        #expect(try await eventually { !ChildProcess.exists(pid: try #require(running.programPID)) }, "the orphaned program still runs")
    }

    @Test func aSupervisorThatNeverStartsFailsTheJobAfterTheGrace() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tilefleet-command-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        var backend = CommandBackend(name: "local", settings: CommandSettings(workDirectory: root, supervisor: "/bin/false"))
        backend.startGrace = .zero
        let id = try await backend.submit(Self.job("print(1)"), idempotencyKey: "never")
        try await Task.sleep(for: .milliseconds(50))
        let status = try await backend.status(of: id)
        #expect(status.status == .failed)
        #expect(status.message?.hasPrefix("the job's supervisor never started") == true)
    }
}
