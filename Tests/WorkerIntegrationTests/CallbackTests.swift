import Foundation
import HTTP
import Simulator
import Testing
import TestSupport

/// OGC API – Processes callbacks end to end: `tilefleet worker --callback-url` gives each job an
/// unguessable subscriber URL, the simulator calls it when the job succeeds, and the worker polls
/// the job at once instead of at its next scheduled poll (here five minutes away).
@Suite(.serialized) struct CallbackTests {
    @Test func aCallbackBringsTheFinishingPollForward() async throws {
        let harness = try await FleetHarness(simulator: SimulatorConfiguration(duration: .fixed(1), queueSeconds: 0, failureRate: 0),
                                             kind: "ogc", poll: "{ min_interval: 1s, max_interval: 300s }", waitTiers: [1, 300])
        let port = 19300 + Int.random(in: 0..<90)
        try harness.spawnWorker(["--callback-url", "http://127.0.0.1:\(port)", "--callback-port", "\(port)", "--callback-address", "127.0.0.1"])
        try await harness.publishSubmits(3)
        let terminal = try await harness.waitForTerminal(3, timeout: .seconds(60))
        let log = harness.workerLog(0)
        await harness.shutDown()
        #expect(terminal.count == 3, "\(log)")
        #expect(terminal.values.allSatisfy { $0.status == .finished })
        #expect(harness.simulator.subscriberCalls.sent == 3)
        // The only GETs under /ogc/jobs/ (the simulator's status requests, results included): per job the poll
        // its callback asked for and its results; the scheduled polls are 300 s away.
        #expect(harness.simulator.stats().statusRequests == 6)
    }

    @Test func aForgedCallbackIsRefusedAndChangesNothing() async throws {
        let harness = try await FleetHarness(simulator: SimulatorConfiguration(duration: .fixed(30), queueSeconds: 0, failureRate: 0),
                                             kind: "ogc", poll: "{ min_interval: 1s, max_interval: 300s }", waitTiers: [1, 300])
        let port = 19300 + Int.random(in: 0..<90)
        try harness.spawnWorker(["--callback-url", "http://127.0.0.1:\(port)", "--callback-port", "\(port)", "--callback-address", "127.0.0.1"])
        try await harness.publishSubmits(1)
        try await eventually(timeout: .seconds(30)) { harness.simulator.stats().jobsCreated == 1 }
        let client = HTTPClient()
        var answers: [Int] = []
        for token in ["0123456789abcdef0123456789abcdef", "../metrics", ""] {
            let request = HTTPClient.Request("http://127.0.0.1:\(port)/callbacks/\(token)", method: .post, body: Data("{}".utf8))
            answers.append(try await client.execute(request).status)
        }
        await client.shutdown()
        let statusRequests = harness.simulator.stats().statusRequests
        await harness.shutDown()
        #expect(answers == [404, 404, 404])
        #expect(statusRequests == 0, "a forged callback made the worker poll")
    }
}
