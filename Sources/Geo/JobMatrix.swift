import FleetModel
/// The job set of an upscaling task: tiles × time windows × every dimension's values.
///
/// Jobs are enumerated lazily by index (tile-major, then window, then dimensions in declaration
/// order), so a matrix of a million jobs costs nothing until the coordinator asks for them.
public struct JobMatrix: Sendable {
    public var tiles: [Tile]
    public var windows: [TimeWindow]
    public var dimensions: [Dimension]
    public var tileInput: TileInput
    /// Name of the backend parameter that receives the tile (openEO: `spatial_extent`).
    public var spatialParameter: String
    /// Name of the parameter that receives the window (openEO: `temporal_extent`).
    public var temporalParameter: String

    public init(
        tiles: [Tile], windows: [TimeWindow] = [], dimensions: [Dimension] = [],
        tileInput: TileInput = .geometry, spatialParameter: String = "spatial_extent",
        temporalParameter: String = "temporal_extent"
    ) throws {
        var names = Set([spatialParameter, temporalParameter])
        for dimension in dimensions {
            guard !dimension.values.isEmpty else {
                throw GeoValidationError(.invalidDimension("'\(dimension.name)' has no values"))
            }
            guard names.insert(dimension.name).inserted else {
                throw GeoValidationError(.invalidDimension("'\(dimension.name)' is declared twice or clashes with a spatial/temporal parameter"))
            }
        }
        self.tiles = tiles
        self.windows = windows
        self.dimensions = dimensions
        self.tileInput = tileInput
        self.spatialParameter = spatialParameter
        self.temporalParameter = temporalParameter
    }

    /// Number of jobs: tiles × max(1, windows) × each dimension's value count.
    public var count: Int {
        dimensions.reduce(tiles.count * max(windows.count, 1)) { $0 * $1.values.count }
    }

    /// The job at `index` (0 ..< ``count``).
    public func job(at index: Int) throws -> JobSpec {
        var rest = index
        var values: [String: JSONValue] = [:]
        for dimension in dimensions.reversed() {
            values[dimension.name] = dimension.values[rest % dimension.values.count]
            rest /= dimension.values.count
        }
        var window: TimeWindow?
        if !windows.isEmpty {
            window = windows[rest % windows.count]
            rest /= windows.count
        }
        let tile = tiles[rest]
        var parameters = tile.properties
        for (name, value) in values { parameters[name] = value }
        parameters[spatialParameter] = try tileInput.value(for: tile)
        if let window { parameters[temporalParameter] = window.openEOExtent }
        return JobSpec(
            key: Self.key(tileID: tile.id, window: window, values: values),
            tileID: tile.id, window: window, values: values, parameters: parameters
        )
    }

    /// All jobs in index order.
    public func jobs() throws -> [JobSpec] {
        try (0..<count).map { try job(at: $0) }
    }

    static func key(tileID: String, window: TimeWindow?, values: [String: JSONValue]) -> String {
        var canonical = "tile=\(tileID)\n"
        if let window { canonical += "window=\(window.start)/\(window.end)\n" }
        for name in values.keys.sorted() { canonical += "\(name)=\(values[name]!.canonicalJSON)\n" }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in canonical.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
