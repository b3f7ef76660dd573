/// An area of interest (or a sample set), normalised to WGS84 longitude/latitude.
///
/// Produced by ``AOIParser`` after validation: rings are closed, coordinates in range, polygons
/// valid, and polygons crossing the antimeridian are split at ±180° into parts on either side.
public struct AOI: Sendable {
    /// The features in input order (a bare geometry is one feature).
    public var features: [AOIFeature]
    /// The EPSG code the input was given in (4326 for GeoJSON).
    public var sourceEPSG: Int
    /// How the parser read something that could have meant otherwise (a polygon taken to cross
    /// the antimeridian): commands print these, so nothing is reinterpreted silently.
    public var notes: [String]

    public init(features: [AOIFeature], sourceEPSG: Int = 4326, notes: [String] = []) {
        self.features = features
        self.sourceEPSG = sourceEPSG
        self.notes = notes
    }

    /// All polygons of all features (WGS84, interleaved lon, lat rings; shell first).
    var polygons: [[[Double]]] {
        features.flatMap { feature -> [[[Double]]] in
            if case .polygons(let polygons) = feature.geometry { return polygons }
            return []
        }
    }

    /// Whether every feature is polygonal (needed for area grids).
    public var isPolygonal: Bool {
        features.allSatisfy { if case .polygons = $0.geometry { true } else { false } }
    }
}
