import FleetConfig
import FleetModel
import Geo

/// A task spec cut into its jobs: what `submit` stores and `--dry-run` prints.
public struct TaskPlan: Sendable {
    public var spec: TaskSpec
    public var tiling: TilingResult
    public var records: [TileRecord]
    /// How the area was read where it could have meant otherwise (see ``AOI/notes``).
    public var notes: [String]

    /// Tiles the AOI and enumerates tiles × windows × dimension values in the order of
    /// ``JobMatrix`` (tile-major, then window, then dimensions, the last varying fastest). Throws
    /// ``GeoValidationError`` for input the parser could not judge alone, and, with `limits`,
    /// when the jobs (counted before any is made) exceed `limits.max_jobs`, or
    /// `limits.confirm_jobs` unless `confirmed`.
    public init(spec: TaskSpec, limits: JobLimits? = nil, confirmed: Bool = false) throws {
        self.spec = spec
        let aoi = try spec.split.aoiParser.parse(spec.split.aoi)
        notes = aoi.notes
        let grid = try TileGrid(parsing: spec.split.grid)
        let windowSpec = try spec.split.windows.map { try TimeWindowSpec(parsing: $0) }
        var bounds: JobBounds?
        if let limits {
            let perCell = try JobBounds.jobsPerCell(windows: windowSpec?.count ?? 0, dimensionValueCounts: spec.split.dimensions.map(\.values.count),
                                                    maxJobs: limits.maxJobs)
            bounds = JobBounds(maxJobs: limits.maxJobs, confirmJobs: confirmed ? nil : limits.confirmJobs, jobsPerCell: perCell)
        }
        tiling = try Tiler(options: TilingOptions(minimumAreaKm2: spec.split.minAreaKm2, bounds: bounds)).tiles(for: aoi, grid: grid)
        // The estimate before tiling leaves out part of the boundary cells: the exact count decides.
        try bounds?.check(cells: tiling.tiles.count, grid: grid, approximate: false)
        let windows = windowSpec?.windows ?? []
        // Validates the dimensions against the parameter names, as the matrix does.
        _ = try JobMatrix(tiles: [], windows: windows, dimensions: spec.split.dimensions, tileInput: spec.tileInput,
                          spatialParameter: spec.spatialParameter, temporalParameter: spec.temporalParameter)
        var combinations: [[String: JSONValue]] = [[:]]
        for dimension in spec.split.dimensions {
            combinations = combinations.flatMap { values in
                dimension.values.map { value in values.merging([dimension.name: value]) { $1 } }
            }
        }
        let spatialKey = JSONValue.string(spec.spatialParameter).canonicalJSON
        let windowChoices: [TimeWindow?] = windows.isEmpty ? [nil] : windows
        var records: [TileRecord] = []
        records.reserveCapacity(tiling.tiles.count * windowChoices.count * combinations.count)
        for tile in tiling.tiles {
            // The geometry is already GeoJSON text: spliced in, never decoded and re-encoded.
            let spatial = spec.tileInput == .geometry ? tile.geometry : try spec.tileInput.value(for: tile).canonicalJSON
            let baseID = tile.id.replacingOccurrences(of: ".", with: "_")
            for window in windowChoices {
                for values in combinations {
                    var parameters = tile.properties
                    for (name, value) in values { parameters[name] = value }
                    if let window { parameters[spec.temporalParameter] = window.openEOExtent }
                    let rest = JSONValue.object(parameters).canonicalJSON
                    let json = rest == "{}" ? "{\(spatialKey):\(spatial)}" : "{\(spatialKey):\(spatial)," + rest.dropFirst()
                    var parts = [baseID]
                    if windows.count > 1, let window { parts.append(window.label.replacingOccurrences(of: ".", with: "_")) }
                    if !values.isEmpty { parts.append(Self.hash(values)) }
                    records.append(TileRecord(tileID: parts.joined(separator: "_"), cellID: tile.id, window: window,
                                              parametersJSON: json, geometry: tile.geometry, areaKm2: tile.areaKm2))
                }
            }
        }
        self.records = records
    }

    /// 8 hex digits (FNV-1a) of the dimension values, so the id says which combination a job is.
    static func hash(_ values: [String: JSONValue]) -> String {
        let hash = fnv1a(values.keys.sorted().map { "\($0)=\(values[$0]!.canonicalJSON)\n" }.joined())
        let hex = String(hash >> 32, radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }

    /// FNV-1a (64 bit) of `text`'s UTF-8: stable across runs and machines, unlike `Hasher`.
    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}
