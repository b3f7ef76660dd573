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
        try report("status event", unit: "events", sample, encode: { $0.encoded() }, decodes: { (try? StatusEvent.decode($0)) != nil })
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
        try report("work item with a process graph", unit: "items", sample, encode: { $0.encoded() },
                   decodes: { (try? WorkItem.decode($0)) != nil })
    }

    /// Times encoding `sample` and decoding what that gave, best of ``runs``, and prints both rates.
    private func report<Message>(_ name: String, unit: String, _ sample: [Message],
                                 encode encodeOne: (Message) -> [UInt8], decodes: ([UInt8]) -> Bool) throws {
        let bodies = sample.map(encodeOne)
        let clock = ContinuousClock()
        var bestEncode = Duration.seconds(1_000), bestDecode = Duration.seconds(1_000)
        for _ in 0..<runs {
            var bytes = 0
            let encodeStart = clock.now
            for message in sample { bytes &+= encodeOne(message).count }
            bestEncode = min(bestEncode, clock.now - encodeStart)
            let decodeStart = clock.now
            var decoded = 0
            for body in bodies where decodes(body) { decoded += 1 }
            bestDecode = min(bestDecode, clock.now - decodeStart)
            guard decoded == sample.count, bytes > 0 else { throw ValidationError("decoding lost \(unit): \(decoded) of \(sample.count)") }
        }
        let size = bodies.map(\.count).reduce(0, +) / max(1, bodies.count)
        print("\(name), \(size) bytes as JSON (\(sample.count) \(unit), best of \(runs)):")
        print("  encode: \(BenchReport.format(Double(sample.count) / bestEncode.inSeconds)) \(unit)/s (\(perEvent(bestEncode)) µs each)")
        print("  decode and validate: \(BenchReport.format(Double(sample.count) / bestDecode.inSeconds)) \(unit)/s (\(perEvent(bestDecode)) µs each)")
    }

    private func perEvent(_ duration: Duration) -> String {
        String(format: "%.1f", duration.inSeconds * 1_000_000 / Double(events))
    }
}
