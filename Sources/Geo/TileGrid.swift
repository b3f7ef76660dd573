import FleetModel
import Foundation

/// How an area of interest is cut into tiles.
///
/// Parse one from the command-line spelling with ``init(parsing:)``:
/// `km:20`, `20x20km` (APEx alias), `crs:32631:10000`, `crs:32631:4096x4096@10`, `mgrs`, `mgrs:s2`,
/// `features`, `group:km:20,max_features:60`.
public indirect enum TileGrid: Sendable, Hashable, CustomStringConvertible {
    /// Squares of the given size in km, true on the ground: each UTM zone's own projection, aligned
    /// to multiples of the size from the zone's (false) origin. Ids like `32633-E580-N5320`.
    case kilometres(Double)
    /// Cells of `cellWidth` × `cellHeight` CRS units in EPSG `epsg`, aligned to the CRS origin.
    /// Ids like `32631-X9-Y129` (column and row index from the origin).
    case crs(epsg: Int, cellWidth: Double, cellHeight: Double)
    /// MGRS 100 km squares (ids like `33UXP`), clipped to their grid zone; with
    /// `sentinel2Footprint` the 109.8 km Sentinel-2 tile with the same upper-left corner instead
    /// (overlapping neighbours, not clipped to the area).
    case mgrs(sentinel2Footprint: Bool)
    /// One tile per feature of a FeatureCollection; the feature's properties travel with it.
    case features
    /// Samples grouped by the cell of `grid` their centroid falls in, each group split into
    /// spatially coherent chunks of at most `maxFeatures` features.
    case group(TileGrid, maxFeatures: Int?)

    /// Parses a grid specification; throws ``GeoValidationError`` with `.invalidGrid` otherwise.
    public init(parsing spec: String) throws {
        let text = spec.trimmingCharacters(in: .whitespaces)
        let lower = text.lowercased()
        func fail(_ detail: String) -> GeoValidationError {
            GeoValidationError(.invalidGrid("'\(spec)': \(detail)"))
        }
        if lower.hasPrefix("group:") {
            var rest = String(text.dropFirst("group:".count))
            var maxFeatures: Int?
            if let comma = rest.firstIndex(of: ",") {
                let option = rest[rest.index(after: comma)...].trimmingCharacters(in: .whitespaces)
                rest = String(rest[..<comma])
                let parts = option.split(separator: ":", maxSplits: 1).map(String.init)
                guard parts.count == 2, parts[0] == "max_features", let value = Int(parts[1]), value > 0 else {
                    throw fail("expected group:<grid>,max_features:<n> with n ≥ 1")
                }
                maxFeatures = value
            }
            let inner = try TileGrid(parsing: rest)
            switch inner {
            case .features, .group: throw fail("group needs a cell grid (km:, crs:, mgrs)")
            default: self = .group(inner, maxFeatures: maxFeatures)
            }
            return
        }
        if lower == "features" { self = .features; return }
        if lower == "mgrs" { self = .mgrs(sentinel2Footprint: false); return }
        if lower == "mgrs:s2" || lower == "s2" { self = .mgrs(sentinel2Footprint: true); return }
        if lower.hasPrefix("km:") {
            guard let size = Double(lower.dropFirst(3)), size > 0, size <= 1000 else {
                throw fail("km:<size> needs a size in km between 0 and 1000")
            }
            self = .kilometres(size)
            return
        }
        if lower.hasSuffix("km"), lower.contains("x") {
            let sides = lower.dropLast(2).split(separator: "x").map { Double($0) }
            guard sides.count == 2, let width = sides[0], let height = sides[1], width == height, width > 0 else {
                throw fail("APEx-style grids must be square, e.g. 20x20km")
            }
            self = .kilometres(width)
            return
        }
        if lower.hasPrefix("crs:") {
            var rest = lower.dropFirst(4)
            if rest.hasPrefix("epsg:") { rest = rest.dropFirst(5) }
            let parts = rest.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let epsg = Int(parts[0]), epsg > 0 else {
                throw fail("expected crs:<EPSG>:<size> or crs:<EPSG>:<width>x<height>[@<resolution>]")
            }
            var cell = parts[1]
            var resolution = 1.0
            if let at = cell.firstIndex(of: "@") {
                guard let value = Double(cell[cell.index(after: at)...]), value > 0 else { throw fail("bad resolution") }
                resolution = value
                cell = cell[..<at]
            }
            let sizes = cell.split(separator: "x").map { Double($0) }
            guard (1...2).contains(sizes.count), let width = sizes[0], let height = sizes.last!, width > 0, height > 0 else {
                throw fail("bad cell size")
            }
            self = .crs(epsg: epsg, cellWidth: width * resolution, cellHeight: height * resolution)
            return
        }
        throw fail("expected km:<size>, 20x20km, crs:<EPSG>:<size>, mgrs, mgrs:s2, features or group:<grid>")
    }

    /// The canonical spelling (parses back to the same grid).
    public var description: String {
        switch self {
        case .kilometres(let size): return "km:\(JSONValue.format(size))"
        case .crs(let epsg, let width, let height):
            return width == height
                ? "crs:\(epsg):\(JSONValue.format(width))"
                : "crs:\(epsg):\(JSONValue.format(width))x\(JSONValue.format(height))"
        case .mgrs(let footprint): return footprint ? "mgrs:s2" : "mgrs"
        case .features: return "features"
        case .group(let grid, let maxFeatures):
            return "group:\(grid)" + (maxFeatures.map { ",max_features:\($0)" } ?? "")
        }
    }
}
