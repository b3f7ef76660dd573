/// A regular grid of cells in a projected plane, aligned to an origin.
///
/// Works row by row: the geometry is first cut to the row's strip, then GEOS prepared predicates on
/// the strip keep covered cells whole without an intersection, skip cells that miss, and only
/// boundary cells are clipped (against the small strip, not the whole area).
struct PlanarGrid {
    var cellWidth: Double
    var cellHeight: Double
    var originX = 0.0
    var originY = 0.0

    func columns(from minX: Double, to maxX: Double) -> ClosedRange<Int> {
        Int(((minX - originX) / cellWidth).rounded(.down))...max(
            Int(((minX - originX) / cellWidth).rounded(.down)),
            Int(((maxX - originX) / cellWidth).rounded(.up)) - 1
        )
    }

    func rows(from minY: Double, to maxY: Double) -> ClosedRange<Int> {
        Int(((minY - originY) / cellHeight).rounded(.down))...max(
            Int(((minY - originY) / cellHeight).rounded(.down)),
            Int(((maxY - originY) / cellHeight).rounded(.up)) - 1
        )
    }

    /// Lower-left corner of a cell.
    func corner(column: Int, row: Int) -> (x: Double, y: Double) {
        (originX + Double(column) * cellWidth, originY + Double(row) * cellHeight)
    }

    /// Calls `body` with (column, row, the cell's piece of `area` as polygons, full-cell flag)
    /// for every cell whose intersection with `area` has an area. A cell counts as full (and is
    /// kept whole) when its piece covers all but a millionth of it: an area drawn on the grid's own
    /// lines loses a few mm² in the round trip through WGS84.
    func forEachCell(
        covering area: GEOSGeom, geos: GEOSContext,
        _ body: (Int, Int, [[[Double]]], Bool) throws -> Void
    ) throws {
        guard let extent = area.extent else { return }
        let cellArea = cellWidth * cellHeight
        let columns = columns(from: extent.minX, to: extent.maxX)
        let stripWest = corner(column: columns.lowerBound, row: 0).x
        let stripEast = corner(column: columns.upperBound + 1, row: 0).x
        for row in rows(from: extent.minY, to: extent.maxY) {
            let (_, y) = corner(column: 0, row: row)
            let strip = try area.intersection(
                try geos.rectangle(minX: stripWest, minY: y, maxX: stripEast, maxY: y + cellHeight)
            )
            guard !strip.isEmpty, strip.area > 0, let stripExtent = strip.extent else { continue }
            let prepared = try strip.prepared()
            for column in self.columns(from: stripExtent.minX, to: stripExtent.maxX) {
                let (x, _) = corner(column: column, row: row)
                let cell = try geos.rectangle(minX: x, minY: y, maxX: x + cellWidth, maxY: y + cellHeight)
                if prepared.covers(cell) {
                    try body(column, row, cell.polygonRings(), true)
                } else if prepared.intersects(cell) {
                    let piece = try strip.intersection(cell)
                    let pieceArea = piece.area
                    guard pieceArea > 0 else { continue }
                    let full = pieceArea >= cellArea * (1 - 1e-6)
                    try body(column, row, full ? cell.polygonRings() : piece.polygonRings(), full)
                }
            }
        }
    }
}
