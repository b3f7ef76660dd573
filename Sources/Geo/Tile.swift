import FleetModel
/// One unit of spatial work: a grid cell clipped to the area of interest, an MGRS / Sentinel-2
/// tile, an input feature, or a group of samples.
///
/// A Sendable value the coordinator stores (geometry as GeoJSON text) and hands to jobs.
public struct Tile: Sendable, Hashable, Codable {
    /// Stable id: depends on the grid and the cell only, never on the area of interest.
    public var id: String
    /// The CRS the tile was cut in (a UTM zone for `km:` and `mgrs`, the grid's CRS for `crs:`,
    /// 4326 for features and groups of a `features` input).
    public var epsg: Int
    /// A short grid-zone label: `33N` for UTM, `33U` for MGRS, `EPSG:3035` otherwise.
    public var zone: String
    /// True when the whole cell lies inside the area of interest (nothing was clipped).
    public var fullCell: Bool
    /// Ellipsoidal (WGS84 geodesic) area of the tile's geometry in km².
    public var areaKm2: Double
    /// Bounding box in WGS84 longitude/latitude.
    public var bboxWGS84: BoundingBox
    /// Bounding box in the tile's own CRS (``epsg``).
    public var bboxNative: BoundingBox
    /// GeoJSON geometry in WGS84 (RFC 7946 right-hand rule).
    public var geometry: String
    /// Properties that travel with the tile as job parameters (a `features` input's properties).
    public var properties: [String: JSONValue]
    /// For sample groups: the group's features as a GeoJSON FeatureCollection; nil otherwise.
    public var featureCollection: String?
    /// Number of samples in a group (0 for area tiles).
    public var featureCount: Int

    public init(
        id: String, epsg: Int, zone: String, fullCell: Bool, areaKm2: Double,
        bboxWGS84: BoundingBox, bboxNative: BoundingBox, geometry: String,
        properties: [String: JSONValue] = [:], featureCollection: String? = nil, featureCount: Int = 0
    ) {
        self.id = id
        self.epsg = epsg
        self.zone = zone
        self.fullCell = fullCell
        self.areaKm2 = areaKm2
        self.bboxWGS84 = bboxWGS84
        self.bboxNative = bboxNative
        self.geometry = geometry
        self.properties = properties
        self.featureCollection = featureCollection
        self.featureCount = featureCount
    }
}
