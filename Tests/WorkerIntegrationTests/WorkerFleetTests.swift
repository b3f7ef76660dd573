import AMQP
import FleetModel
import Foundation
import HTTP
import Messaging
import Simulator
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `tilefleet worker` processes against the real broker and the simulator. Each test has its own
/// topology prefix and simulator.
@Suite(.serialized) struct WorkerFleetTests {
    static func simulator(duration: Double = 0.5, failureRate: Double = 0, faults: SimulatorConfiguration.Faults = .init()) -> SimulatorConfiguration {
        SimulatorConfiguration(duration: .fixed(duration), failureRate: failureRate, requireAuth: false, faults: faults, seed: 42)
    }

    @Test func aThousandTilesFlowThroughTwoWorkersToTerminalStates() async throws {
        let fleet = try await FleetHarness(simulator: Self.simulator(duration: 0.5, failureRate: 0.05))
        do {
            try fleet.spawnWorker()
            try fleet.spawnWorker()
            try await fleet.publishSubmits(1000, maxAttempts: 3)
            let terminal = try await fleet.waitForTerminal(1000, timeout: .seconds(150))
            #expect(terminal.count == 1000, "worker log: \(fleet.workerLog(0).suffix(2000))")
            let finished = terminal.values.filter { $0.status == .finished }
            #expect(finished.count + terminal.values.filter { $0.status == .failed }.count == terminal.count)
            #expect(finished.allSatisfy { $0.assets?.isEmpty == false })
            #expect(terminal.values.filter { $0.status == .failed }.allSatisfy { $0.error?.isEmpty == false })
            let stats = fleet.simulator.stats()
            #expect(stats.duplicateKeys.isEmpty)
            // 5 % of jobs fail and are retried: more jobs than tiles, few tiles failing all three attempts.
            #expect(stats.jobsCreated > 1000)
            #expect(finished.count >= 990)
        } catch {
            await fleet.shutDown()
            throw error
        }
        await fleet.shutDown()
    }

    /// Issue 16: links with other schemes are rejected where they arrive; the event keeps a note.
    @Test func aHostilePlatformsFileAndScriptLinksArriveAsNotesNeverAsLinks() async throws {
        var configuration = Self.simulator(duration: 0.2)
        configuration.hostileAssets = true
        let fleet = try await FleetHarness(simulator: configuration)
        do {
            try fleet.spawnWorker()
            try await fleet.publishSubmits(3)
            let terminal = try await fleet.waitForTerminal(3, timeout: .seconds(60))
            #expect(terminal.count == 3, "worker log: \(fleet.workerLog(0).suffix(2000))")
            for event in terminal.values {
                let assets = event.assets ?? []
                #expect(event.status == .finished)
                #expect(!assets.contains { $0.href.hasPrefix("file:") || $0.href.hasPrefix("javascript:") }, "\(assets)")
                let notes = assets.filter { $0.roles == [AssetLink.rejectedRole] }
                #expect(notes.compactMap(\.title).sorted() == [
                    "asset 'passwd' rejected: the scheme 'file' is not fetched (only http, https and data)",
                    "asset 'script' rejected: the scheme 'javascript' is not fetched (only http, https and data)",
                ])
                #expect(notes.allSatisfy { $0.href.hasPrefix("data:text/plain;charset=utf-8,") })
                #expect(assets.contains { $0.href.hasSuffix("/..%2F..%2Fescaped.txt") }, "an http link passes; its name is made safe on download")
                #expect(assets.contains { $0.href.hasSuffix("/openEO.tif") })
            }
        } catch {
            await fleet.shutDown()
            throw error
        }
        await fleet.shutDown()
    }

    @Test func aPoisonMessageLandsInTheDeadQueueWhileTheRestFlows() async throws {
        let fleet = try await FleetHarness(simulator: Self.simulator(duration: 0.2))
        let metricsPort = Int.random(in: 20_000...29_999)
        do {
            try fleet.spawnWorker(["--metrics-port", "\(metricsPort)", "--log-format", "json"])
            try await fleet.publishSubmits(50)
            try await fleet.publishRaw("this is not JSON")
            try await fleet.publishRaw(#"{"schema":"tilefleet.work-item/99","kind":"submit"}"#)
            try await fleet.publishSubmits(50, task: "task-2")
            let terminal = try await fleet.waitForTerminal(100, timeout: .seconds(60))
            #expect(terminal.count == 100)
            let dead = try await fleet.deadLetters(max: 2, timeout: .seconds(20))
            #expect(dead.count == 2)
            #expect(dead.contains { $0.body == "this is not JSON" && $0.reason == "not a JSON object" })
            #expect(dead.contains { $0.reason.contains("unsupported schema 'tilefleet.work-item/99'") })
            #expect(fleet.workers.count == 1)
            #expect(fleet.isRunning(fleet.workers[0]), "the worker is still alive")

            let client = HTTPClient()
            let metrics = try await client.execute(HTTPClient.Request("http://127.0.0.1:\(metricsPort)/metrics"))
            await client.shutdown()
            let text = String(decoding: metrics.body, as: UTF8.self)
            #expect(metrics.status == 200)
            #expect(text.contains(#"tilefleet_worker_items_total{kind="submit",outcome="submitted"} 100"#), "\(text)")
            #expect(text.contains(#"tilefleet_worker_items_total{kind="unknown",outcome="dead_lettered"} 2"#))
            #expect(text.contains("tilefleet_worker_backend_request_seconds_bucket"))
            #expect(text.contains("tilefleet_broker_reconnects_total 0"))
            // Every exported metric is described: a HELP line right before each TYPE line, same name.
            let lines = text.split(separator: "\n")
            let typed = lines.indices.filter { lines[$0].hasPrefix("# TYPE ") }
            #expect(typed.count >= 5)
            for index in typed {
                let name = lines[index].split(separator: " ")[2]
                #expect(index > 0 && lines[index - 1].hasPrefix("# HELP \(name) "), "no HELP for \(name)")
            }
            // The endpoint listens on loopback only (no --metrics-address given).
            let portSuffix = ":" + String(format: "%04X", metricsPort)
            var listening: [String] = []
            for line in try String(contentsOfFile: "/proc/net/tcp", encoding: .utf8).split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                // fields: sl, local address, remote address, state (0A: listening), …
                if fields.count > 3, fields[3] == "0A", fields[1].hasSuffix(portSuffix) { listening.append(String(fields[1])) }
            }
            #expect(listening == ["0100007F" + portSuffix])
            #expect(fleet.workerLog(0).contains(#""message":"worker consuming""#))
        } catch {
            await fleet.shutDown()
            throw error
        }
        await fleet.shutDown()
    }

    @Test func killingAWorkerMidRunLosesNoTileAndDuplicatesNoJob() async throws {
        let fleet = try await FleetHarness(simulator: Self.simulator(duration: 1))
        do {
            let victim = try fleet.spawnWorker()
            try fleet.spawnWorker()
            try await fleet.publishSubmits(1000)
            // Mid-run: jobs on the platform and items in flight.
            #expect(try await eventually { fleet.simulator.stats().jobsCreated >= 100 })
            TestEnvironment.stop(victim, signal: SIGKILL)
            fleet.forget(victim)
            let terminal = try await fleet.waitForTerminal(1000, timeout: .seconds(150))
            #expect(terminal.count == 1000)
            #expect(terminal.values.allSatisfy { $0.status == .finished })
            let stats = fleet.simulator.stats()
            #expect(stats.duplicateKeys.isEmpty, "duplicates: \(stats.duplicateKeys.prefix(5))")
            #expect(stats.jobsPerKey.count == 1000)
        } catch {
            await fleet.shutDown()
            throw error
        }
        await fleet.shutDown()
    }

    @Test func aTwentyPercentFaultRateStillEndsWithEveryTileFinished() async throws {
        let faults = SimulatorConfiguration.Faults(serverError: 0.05, throttle: 0.05, throttleRetryAfter: 1, slow: 0.05,
                                                   slowMilliseconds: 4000, malformedJSON: 0.05)
        // Slow answers outlast the 3 s request timeout: those requests time out.
        let fleet = try await FleetHarness(simulator: Self.simulator(duration: 0.5, faults: faults), requestTimeout: "3s")
        do {
            try fleet.spawnWorker()
            try fleet.spawnWorker()
            try await fleet.publishSubmits(300)
            let terminal = try await fleet.waitForTerminal(300, timeout: .seconds(240))
            #expect(terminal.count == 300)
            #expect(terminal.values.allSatisfy { $0.status == .finished }, "\(terminal.values.filter { $0.status != .finished }.prefix(3))")
            #expect(terminal.values.allSatisfy { $0.assets?.isEmpty == false })
            let stats = fleet.simulator.stats()
            #expect(stats.faultsInjected > 0)
            #expect(stats.duplicateKeys.isEmpty, "duplicates: \(stats.duplicateKeys.prefix(5))")
        } catch {
            await fleet.shutDown()
            throw error
        }
        await fleet.shutDown()
    }

    @Test func sigtermDrainsCleanlyAndAnotherWorkerFinishesTheRest() async throws {
        let fleet = try await FleetHarness(simulator: Self.simulator(duration: 3))
        do {
            let first = try fleet.spawnWorker()
            try await fleet.publishSubmits(400)
            #expect(try await eventually { fleet.simulator.stats().jobsCreated >= 50 })
            let status = TestEnvironment.stop(first, signal: SIGTERM)
            fleet.forget(first)
            #expect(status == 0, "exit status \(status); log: \(fleet.workerLog(0).suffix(2000))")
            #expect(fleet.workerLog(0).contains("worker stopped"))
            try fleet.spawnWorker()
            let terminal = try await fleet.waitForTerminal(400, timeout: .seconds(120))
            #expect(terminal.count == 400)
            #expect(terminal.values.allSatisfy { $0.status == .finished })
            #expect(fleet.simulator.stats().duplicateKeys.isEmpty)
        } catch {
            await fleet.shutDown()
            throw error
        }
        await fleet.shutDown()
    }

    @Test func restartingTheBrokerMidRunLosesNoTile() async throws {
        let broker = TestEnvironment.PrivateService("rabbitmq", port: 5690)
        try await broker.start()
        defer { try? broker.stop() }
        // Jobs outlast the restart (stopping the broker takes about half a minute here), so polls,
        // events and follow-ups are in flight when the connection drops.
        let fleet = try await FleetHarness(simulator: Self.simulator(duration: 40), amqpURL: broker.amqpURL)
        do {
            try fleet.spawnWorker()
            try await fleet.publishSubmits(300)
            // Jobs outlast the restart, so polls, events and follow-ups are in flight when it drops.
            #expect(try await eventually { fleet.simulator.stats().jobsCreated >= 100 })
            try await broker.restart()
            let terminal = try await fleet.waitForTerminal(300, timeout: .seconds(150))
            #expect(terminal.count == 300, "log: \(fleet.workerLog(0).suffix(3000))")
            #expect(terminal.values.allSatisfy { $0.status == .finished })
            #expect(fleet.simulator.stats().duplicateKeys.isEmpty)
            #expect(fleet.isRunning(fleet.workers[0]), "the worker survived the broker restart")
            #expect(fleet.workerLog(0).contains("AMQP reconnected"))
        } catch {
            await fleet.shutDown()
            throw error
        }
        await fleet.shutDown()
    }
}
