import Geo

/// A task spec cut into its jobs: what `submit` stores and `--dry-run` prints.
public struct TaskPlan: Sendable {
    public var spec: TaskSpec
    public var tiling: TilingResult
    public var records: [TileRecord]

    /// Tiles the AOI and enumerates tiles × windows × dimension values. Throws
    /// ``GeoValidationError`` for input the parser could not judge alone (e.g. a grid that cannot
    /// cover the AOI).
    public init(spec: TaskSpec) throws {
        self.spec = spec
        let aoi = try AOIParser().parse(spec.split.aoi)
        let grid = try TileGrid(parsing: spec.split.grid)
        tiling = try Tiler(options: TilingOptions(minimumAreaKm2: spec.split.minAreaKm2)).tiles(for: aoi, grid: grid)
        let windows = try spec.split.windows.map { try TimeWindowSpec(parsing: $0).windows } ?? []
        let matrix = try JobMatrix(tiles: tiling.tiles, windows: windows, dimensions: spec.split.dimensions, tileInput: spec.tileInput,
                                   spatialParameter: spec.spatialParameter, temporalParameter: spec.temporalParameter)
        let tilesByID = Dictionary(tiling.tiles.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var records: [TileRecord] = []
        records.reserveCapacity(matrix.count)
        for index in 0..<matrix.count {
            let job = try matrix.job(at: index)
            let tile = tilesByID[job.tileID]!
            var parts = [job.tileID.replacingOccurrences(of: ".", with: "_")]
            if windows.count > 1, let window = job.window { parts.append(window.label.replacingOccurrences(of: ".", with: "_")) }
            if !job.values.isEmpty { parts.append(String(job.key.prefix(8))) }
            records.append(TileRecord(tileID: parts.joined(separator: "_"), cellID: job.tileID, window: job.window,
                                      parameters: job.parameters, geometry: tile.geometry, areaKm2: tile.areaKm2))
        }
        self.records = records
    }
}
