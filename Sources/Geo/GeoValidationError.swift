/// A problem with user input (area of interest, grid or time specification).
///
/// The message names the feature (by its index in the input) and the problem, so a CLI can print it
/// as is and exit with status 2 without doing anything else.
public struct GeoValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong.
    public enum Problem: Sendable, Equatable {
        case malformed(String)
        case unsupportedType(String)
        case emptyGeometry
        case unclosedRing(ring: Int)
        case tooFewPoints(ring: Int, count: Int)
        case longitudeOutOfRange(Double)
        case latitudeOutOfRange(Double)
        /// GEOS's reason (e.g. "Self-intersection") and where it happens, in the input's coordinates.
        case invalidGeometry(reason: String, x: Double, y: Double)
        case outsideUTMRange(minLatitude: Double, maxLatitude: Double)
        case unknownCRS(String)
        case notProjectable(epsg: Int)
        case invalidGrid(String)
        case invalidTimeWindow(String)
        case invalidDimension(String)
        /// A bbox whose corners are out of order (west > east without `--antimeridian`, south ≥ north).
        case bboxOrder(String)
        /// The area gives no tile at all; the detail says why (min_area, CRS units, grid size).
        case noTiles(String)
        /// More jobs than the fleet's limit (or than the warning threshold without `--yes`).
        case tooManyJobs(String)
    }

    /// Index of the offending feature in the input (FeatureCollection order, or the polygon index
    /// of a MultiPolygon); nil when the problem is not tied to one feature.
    public var featureIndex: Int?
    public var problem: Problem

    public init(_ problem: Problem, featureIndex: Int? = nil) {
        self.problem = problem
        self.featureIndex = featureIndex
    }

    public var description: String {
        let prefix = featureIndex.map { "feature \($0): " } ?? ""
        return prefix + problemDescription
    }

    private var problemDescription: String {
        switch problem {
        case .malformed(let detail):
            return "malformed input: \(detail)"
        case .unsupportedType(let type):
            return "unsupported geometry type '\(type)' (expected Polygon, MultiPolygon, Feature, FeatureCollection, a bbox or WKT)"
        case .emptyGeometry:
            return "empty geometry"
        case .unclosedRing(let ring):
            return "ring \(ring) is not closed (its first and last positions differ)"
        case .tooFewPoints(let ring, let count):
            return "ring \(ring) has \(count) positions; a closed ring needs at least 4"
        case .longitudeOutOfRange(let value):
            return "longitude \(value) is outside -180…180"
        case .latitudeOutOfRange(let value):
            return "latitude \(value) is outside -90…90"
        case .invalidGeometry(let reason, let x, let y):
            return "invalid geometry: \(reason) at (\(x), \(y))"
        case .outsideUTMRange(let minLatitude, let maxLatitude):
            return "the area reaches latitude \(minLatitude < -80 ? minLatitude : maxLatitude)°, outside UTM's range (80°S…84°N); use a crs:<EPSG> grid with a polar projection (e.g. crs:3413 or crs:3031)"
        case .unknownCRS(let crs):
            return "unknown or unsupported CRS '\(crs)'"
        case .notProjectable(let epsg):
            return "the area cannot be projected to EPSG:\(epsg)"
        case .invalidGrid(let detail):
            return "invalid grid: \(detail)"
        case .invalidTimeWindow(let detail):
            return "invalid time window: \(detail)"
        case .invalidDimension(let detail):
            return "invalid dimension: \(detail)"
        case .bboxOrder(let detail):
            return "bbox: \(detail)"
        case .noTiles(let detail):
            return "no tiles: \(detail)"
        case .tooManyJobs(let detail):
            return "too many jobs: \(detail)"
        }
    }
}
