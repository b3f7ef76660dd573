import ArgumentParser
import FleetModel
import Foundation
import Geo
import Timing

/// `tilefleet bench tiles`: tiling speed for docs/benchmarks.md (use a release build).
struct BenchTiles: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tiles",
        abstract: "Time tiling a France-sized AOI at km:20 and km:5, and grouping 100,000 samples at group:km:20."
    )

    @Option(help: "Runs per case; the minimum and median are reported.")
    var runs: Int = 5

    @Option(help: "Number of point samples for the grouping case.")
    var samples: Int = 100_000

    @Option(name: .customLong("max-features"), help: "Chunk size for the grouping case.")
    var maxFeatures: Int = 60

    @Option(name: .customLong("case"), help: "Run only this case: france-20, france-5 or samples (for profilers).")
    var only: String?

    @Option(help: "Write the tiles of each case as JSON lines (id, full, area, bbox) to <prefix>-<case>.jsonl.")
    var dump: String?

    mutating func run() async throws {
        let parseStart = ContinuousClock.now
        let france = try AOIParser().parse(ReferenceAOI.france)
        let parseTime = ContinuousClock.now - parseStart
        print("France outline: \(ReferenceAOI.franceOutline.count) vertices, parsed and validated in \(milliseconds(parseTime)) ms")
        let tiler = Tiler()
        if let only, !["france-20", "france-5", "samples"].contains(only) {
            throw ValidationError("--case must be france-20, france-5 or samples")
        }
        for (key, grid) in [("france-20", TileGrid.kilometres(20)), ("france-5", .kilometres(5))] where only == nil || only == key {
            try measure("France \(grid)", key: key) { try tiler.tiles(for: france, grid: grid) }
        }
        if only == nil || only == "samples" {
            let points = samplePoints()
            try measure("\(samples) points group:km:20,max_features:\(maxFeatures)", key: "samples") {
                try tiler.tiles(for: points, grid: .group(.kilometres(20), maxFeatures: maxFeatures))
            }
        }
    }

    /// One JSON object per tile, for comparing with a reference implementation.
    private func write(_ result: TilingResult, key: String) throws {
        guard let dump else { return }
        var text = ""
        for tile in result.tiles {
            let box = [tile.bboxWGS84.west, tile.bboxWGS84.south, tile.bboxWGS84.east, tile.bboxWGS84.north]
            let native = [tile.bboxNative.west, tile.bboxNative.south, tile.bboxNative.east, tile.bboxNative.north]
            text += JSONValue.object([
                "id": .string(tile.id), "full": .bool(tile.fullCell), "area_km2": .number(tile.areaKm2),
                "count": .number(Double(tile.featureCount)),
                "bbox": .array(box.map { .number($0) }), "bbox_native": .array(native.map { .number($0) }),
            ]).canonicalJSON + "\n"
        }
        try Data(text.utf8).write(to: URL(fileURLWithPath: "\(dump)-\(key).jsonl"))
    }

    /// Deterministic points spread over France's bounding box (SplitMix64).
    private func samplePoints() -> AOI {
        var state: UInt64 = 42
        func next() -> Double {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
        }
        return AOI(features: (0..<samples).map { index in
            AOIFeature(
                index: index, properties: ["sample": .number(Double(index))],
                geometry: .point(longitude: -4.8 + 13 * next(), latitude: 42.3 + 8.8 * next())
            )
        })
    }

    private func measure(_ name: String, key: String, _ body: () throws -> TilingResult) throws {
        var times: [Duration] = []
        var result: TilingResult?
        for _ in 0..<max(runs, 1) {
            let start = ContinuousClock.now
            result = try body()
            times.append(ContinuousClock.now - start)
        }
        times.sort()
        let tiles = result!
        try write(tiles, key: key)
        print(
            "\(name): \(tiles.tiles.count) tiles, \(String(format: "%.1f", tiles.totalAreaKm2)) km² "
                + "(AOI \(String(format: "%.1f", tiles.aoiAreaKm2)) km²), "
                + "min \(milliseconds(times[0])) ms, median \(milliseconds(times[times.count / 2])) ms over \(times.count) runs"
        )
    }

    private func milliseconds(_ duration: Duration) -> String {
        String(format: "%.1f", duration.inSeconds * 1000)
    }
}
