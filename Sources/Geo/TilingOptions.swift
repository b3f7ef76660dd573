/// Knobs of a tiling run.
public struct TilingOptions: Sendable, Hashable {
    /// Pieces of a cell smaller than this (km²) are dropped and reported as slivers.
    public var minimumAreaKm2: Double
    /// Longest AOI edge (degrees) before projecting: edges straight in lon/lat stay right in UTM.
    public var densifyDegrees: Double
    /// Longest tile edge (metres, or a tenth of the cell in geographic CRSs) before unprojecting
    /// to WGS84: a straight UTM edge of 5 km strays under a metre from the straight lon/lat line
    /// GeoJSON draws between its ends (below 70°N).
    public var outputMaxSegmentMetres: Double
    /// The most jobs the cells may make, checked on an estimate before any cell is made; nil:
    /// unbounded (tests, benchmarks).
    public var bounds: JobBounds?

    public init(minimumAreaKm2: Double = 0.01, densifyDegrees: Double = 0.01, outputMaxSegmentMetres: Double = 5000,
                bounds: JobBounds? = nil) {
        self.minimumAreaKm2 = minimumAreaKm2
        self.densifyDegrees = densifyDegrees
        self.outputMaxSegmentMetres = outputMaxSegmentMetres
        self.bounds = bounds
    }
}
