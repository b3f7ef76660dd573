/// Cuts an area of interest into tiles on a grid: the coordinator's entry point.
///
/// Each call creates its own PROJ and GEOS contexts (neither is thread-safe), so one `Tiler` can be
/// used from any number of tasks at once.
public struct Tiler: Sendable {
    public var options: TilingOptions

    public init(options: TilingOptions = TilingOptions()) {
        self.options = options
    }

    /// The tiles of `aoi` on `grid`, sorted by id.
    ///
    /// Throws ``GeoValidationError`` when the input does not fit the grid (points on an area grid,
    /// latitudes beyond UTM, a CRS PROJ does not know) and ``GeoLibraryError`` when PROJ or GEOS fail.
    public func tiles(for aoi: AOI, grid: TileGrid) throws -> TilingResult {
        try TilingRun(options: options).tiles(for: aoi, grid: grid)
    }
}
