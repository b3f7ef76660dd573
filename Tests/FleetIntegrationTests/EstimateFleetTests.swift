import FleetModel
import Foundation
import Simulator
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `tilefleet submit --sample` and `tilefleet estimate` with the whole fleet and the simulator:
/// only the sample runs until `--run`, and the real run reuses the sample's jobs.
@Suite(.serialized) struct EstimateFleetTests {
    @Test func onlyTheSampleRunsThenTheRestWithoutRunningTheSampleAgain() async throws {
        let maxActive = 10
        let fleet = try await ProcessFleet.start(maxActive: maxActive, simulator: SimulatorConfiguration(
            duration: .init(distribution: "fixed", seconds: 0.3), queueSeconds: 0, failureRate: 0))
        defer { TestCleanup.later { await fleet.stop() } }
        let task = fleet.directory + "/task.yaml"
        try """
        id: e2e-estimate
        title: estimate first
        backend: sim
        service: { udp: "https://example.org/udp/ndvi.json", id: ndvi }
        split:
          aoi: "16.1482,48.0326,16.7092,48.3081"
          grid: km:2
        """.write(toFile: task, atomically: true, encoding: .utf8)

        let (refused, refusal) = try fleet.run(["submit", "--offline", "--sample", "0%", task])
        #expect(refused == 2, "\(refusal)")
        #expect(refusal.contains("--sample must be a share such as 2%"), "\(refusal)")

        var pids = try fleet.spawnRoles()
        defer { for pid in pids { TestEnvironment.stop(pid, signal: SIGKILL) } }
        let (status, output) = try fleet.run(["submit", "--offline", "--sample", "5%", task])
        #expect(status == 0, "\(output)")
        #expect(output.contains("sampling: 18 of 352 tiles run first"), "\(output)")

        let (estimated, text) = try await fleet.runOnThread(["estimate", "e2e-estimate", "--wait", "--json"])
        #expect(estimated == 0, "\(text)")
        let json = try JSONDecoder().decode(JSONValue.self, from: Data(text.split(separator: "\n").last.map(String.init)?.utf8 ?? "".utf8))
        #expect(json["tiles"] == .number(352))
        #expect(json["sample"] == .number(18))
        #expect(json["finished"] == .number(18))
        #expect(json["sampling"] == .bool(true))
        let credits = try #require(json["credits"]?["value"]?.numberValue)
        let low = try #require(json["credits"]?["low"]?.numberValue), high = try #require(json["credits"]?["high"]?.numberValue)
        #expect(low <= credits && credits <= high && credits > 0)
        #expect(try #require(json["wall_seconds"]?["value"]?.numberValue) > 0)

        let (listed, listing) = try fleet.run(["status", "--format", "csv"])
        #expect(listed == 0, "\(listing)")
        #expect(listing.contains("e2e-estimate,sim,sampling,"), "\(listing)")
        // Nothing but the sample ran, and the rest still waits.
        #expect(fleet.simulator.stats().jobsCreated == 18)
        #expect(try await fleet.count("SELECT count(*) FROM tiles WHERE task_id = 'e2e-estimate' AND status = 'pending' AND NOT sample") == 352 - 18)

        let (released, releaseText) = try fleet.run(["estimate", "e2e-estimate", "--run"])
        #expect(released == 0, "\(releaseText)")
        #expect(releaseText.contains("released the other 334 tiles"), "\(releaseText)")
        var done = 0
        try await eventually(timeout: .seconds(300)) {
            done = try await fleet.count("SELECT count(*) FROM tiles WHERE task_id = 'e2e-estimate' AND status = 'finished'")
            return done == 352
        }
        #expect(done == 352)
        let stats = fleet.simulator.stats()
        #expect(stats.jobsCreated == 352, "the sample's 18 jobs are not run again")
        #expect(stats.duplicateKeys.isEmpty)
        #expect(stats.peakActiveByUser.values.max() ?? 0 <= maxActive)

        let (again, againText) = try fleet.run(["estimate", "e2e-estimate"])
        #expect(again == 0, "\(againText)")
        #expect(!againText.contains("wait: `tilefleet estimate"), "released: nothing waits any more")
        let (none, noneText) = try fleet.run(["estimate", "no-such-task"])
        #expect(none == 2)
        #expect(noneText.contains("no task 'no-such-task'"), "\(noneText)")

        for pid in pids { #expect(TestEnvironment.stop(pid, signal: SIGTERM) == 0) }
        pids = []
    }
}
