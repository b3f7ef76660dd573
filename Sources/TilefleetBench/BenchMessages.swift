import ArgumentParser
import FleetModel
import Foundation
import Messaging
import Timing

/// `tilefleet bench messages`: how fast status events are encoded (by workers) and decoded and
/// validated (by the recorder), and work items carrying a process graph encoded and decoded (by
/// workers, several times per tile): the CPU each message costs before it reaches the broker or
/// the database.
struct BenchMessages: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "messages",
        abstract: "Time encoding and decoding status events and work items."
    )

    @Option(help: "Events per run.")
    var events = 100_000

    @Option(help: "Runs; the best is reported.")
    var runs = 3

    func run() async throws {
        let time = Date(timeIntervalSince1970: 1_780_000_000)
        let sample = (0..<events).map { i in
            StatusEvent(task: "vienna-pv-20261121", tile: "32633-E\(580 + i % 40)-N\(5320 + i / 40 % 40)", attempt: 1,
                        status: .running, rawStatus: "running", backend: "openeo-cdse", backendJobID: "j-\(i)",
                        progress: 0.5, worker: "worker-7:4242", time: time.addingTimeInterval(Double(i) / 1000))
        }
        let bodies = sample.map { $0.encoded() }
        let clock = ContinuousClock()
        var bestEncode = Duration.seconds(1_000), bestDecode = Duration.seconds(1_000)
        for _ in 0..<runs {
            var bytes = 0
            let encodeStart = clock.now
            for event in sample { bytes &+= event.encoded().count }
            bestEncode = min(bestEncode, clock.now - encodeStart)
            let decodeStart = clock.now
            var decoded = 0
            for body in bodies where (try? StatusEvent.decode(body)) != nil { decoded += 1 }
            bestDecode = min(bestDecode, clock.now - decodeStart)
            guard decoded == events, bytes > 0 else { throw ValidationError("decoding lost events: \(decoded) of \(events)") }
        }
        let size = bodies.map(\.count).reduce(0, +) / max(1, bodies.count)
        print("status event, \(size) bytes as JSON (\(events) events, best of \(runs)):")
        print("  encode: \(BenchReport.format(Double(events) / bestEncode.inSeconds)) events/s (\(perEvent(bestEncode)) µs each)")
        print("  decode and validate: \(BenchReport.format(Double(events) / bestDecode.inSeconds)) events/s (\(perEvent(bestDecode)) µs each)")
        try measureWorkItems()
    }

    /// A poll item whose job is a small openEO process graph (load, filter, reduce, save) with
    /// the tile's extent, as a worker decodes and re-encodes it on every look at a job.
    private func measureWorkItems() throws {
        let extent: JSONValue = .object(["west": .number(16.3), "south": .number(48.1), "east": .number(16.4), "north": .number(48.2),
                                         "crs": .string("EPSG:4326")])
        let graph: [String: JSONValue] = [
            "load": .object(["process_id": .string("load_collection"), "arguments": .object([
                "id": .string("SENTINEL2_L2A"), "spatial_extent": extent,
                "temporal_extent": .array([.string("2026-06-01"), .string("2026-09-01")]),
                "bands": .array(["B02", "B03", "B04", "B08", "SCL"].map(JSONValue.string)), "properties": .object([:])])]),
            "mask": .object(["process_id": .string("mask_scl_dilation"), "arguments": .object([
                "data": .object(["from_node": .string("load")]), "scl_band_name": .string("SCL"), "kernel1_size": .number(17),
                "kernel2_size": .number(77), "erosion_kernel_size": .number(3), "mask1_values": .array([2, 4, 5, 6, 7].map { .number($0) })])]),
            "reduce": .object(["process_id": .string("reduce_dimension"), "arguments": .object([
                "data": .object(["from_node": .string("mask")]), "dimension": .string("t"),
                "reducer": .object(["process_graph": .object(["median": .object(["process_id": .string("median"), "result": .bool(true),
                    "arguments": .object(["data": .object(["from_parameter": .string("data")]), "ignore_nodata": .bool(true)])])])])])]),
            "save": .object(["process_id": .string("save_result"), "result": .bool(true), "arguments": .object([
                "data": .object(["from_node": .string("reduce")]), "format": .string("GTiff"), "options": .object(["tile_grid": .null])])]),
        ]
        let time = Date(timeIntervalSince1970: 1_780_000_000)
        let sample = (0..<events).map { i in
            WorkItem(kind: .poll, task: "vienna-pv-20261121", tile: "32633-E\(580 + i % 40)-N\(5320 + i / 40 % 40)", backend: "openeo-cdse",
                     job: BackendJob(process: .processGraph(graph), title: "vienna tile \(i)", options: ["executor-memory": .string("2G")]),
                     backendJobID: "j-\(i)", pollCount: 2, notBefore: time, submittedAt: time, leaseUntil: time, aliveAt: time)
        }
        let bodies = sample.map { $0.encoded() }
        let clock = ContinuousClock()
        var bestEncode = Duration.seconds(1_000), bestDecode = Duration.seconds(1_000)
        for _ in 0..<runs {
            let encodeStart = clock.now
            var bytes = 0
            for item in sample { bytes &+= item.encoded().count }
            bestEncode = min(bestEncode, clock.now - encodeStart)
            let decodeStart = clock.now
            var decoded = 0
            for body in bodies where (try? WorkItem.decode(body)) != nil { decoded += 1 }
            bestDecode = min(bestDecode, clock.now - decodeStart)
            guard decoded == events, bytes > 0 else { throw ValidationError("decoding lost work items: \(decoded) of \(events)") }
        }
        let size = bodies.map(\.count).reduce(0, +) / max(1, bodies.count)
        print("work item with a process graph, \(size) bytes as JSON (\(events) items, best of \(runs)):")
        print("  encode: \(BenchReport.format(Double(events) / bestEncode.inSeconds)) items/s (\(perEvent(bestEncode)) µs each)")
        print("  decode and validate: \(BenchReport.format(Double(events) / bestDecode.inSeconds)) items/s (\(perEvent(bestDecode)) µs each)")
    }

    private func perEvent(_ duration: Duration) -> String {
        String(format: "%.1f", duration.inSeconds * 1_000_000 / Double(events))
    }
}
