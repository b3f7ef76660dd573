/// Knobs of a tiling run.
public struct TilingOptions: Sendable, Hashable {
    /// Pieces of a cell smaller than this (km²) are dropped and reported as slivers.
    public var minimumAreaKm2: Double
    /// Longest AOI edge (degrees) before projecting: edges straight in lon/lat stay right in UTM.
    public var densifyDegrees: Double
    /// Longest tile edge, as a fraction of the cell size, before unprojecting to WGS84.
    public var outputDensifyFraction: Double

    public init(minimumAreaKm2: Double = 0.01, densifyDegrees: Double = 0.01, outputDensifyFraction: Double = 0.1) {
        self.minimumAreaKm2 = minimumAreaKm2
        self.densifyDegrees = densifyDegrees
        self.outputDensifyFraction = outputDensifyFraction
    }
}
