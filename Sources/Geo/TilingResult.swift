/// The tiles of one area of interest on one grid, with the figures users check them by.
public struct TilingResult: Sendable {
    public var grid: TileGrid
    /// Tiles sorted by id.
    public var tiles: [Tile]
    /// Geodesic area of the area of interest (after densifying its edges), km²; 0 for point samples.
    public var aoiAreaKm2: Double
    /// Pieces smaller than the minimum area, left out.
    public var droppedSliverCount: Int
    public var droppedSliverAreaKm2: Double

    public init(grid: TileGrid, tiles: [Tile], aoiAreaKm2: Double, droppedSliverCount: Int, droppedSliverAreaKm2: Double) {
        self.grid = grid
        self.tiles = tiles
        self.aoiAreaKm2 = aoiAreaKm2
        self.droppedSliverCount = droppedSliverCount
        self.droppedSliverAreaKm2 = droppedSliverAreaKm2
    }

    /// Sum of the tiles' areas, km².
    public var totalAreaKm2: Double { tiles.reduce(0) { $0 + $1.areaKm2 } }

    /// Tile count per zone label (``Tile/zone``), sorted by label.
    public var countsByZone: [(zone: String, count: Int)] {
        Dictionary(grouping: tiles, by: \.zone).map { ($0.key, $0.value.count) }.sorted { $0.zone < $1.zone }
    }
}
