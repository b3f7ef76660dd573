/// A regular grid of cells in a projected plane, aligned to an origin.
///
/// Cells are classified without GEOS: every boundary segment marks the cells it passes through
/// (with a small margin, so the marking errs towards "boundary"), and the remaining cells of a row
/// are inside or outside by the even-odd rule along the row's centre line. Only boundary cells
/// are clipped with GEOS, against the row's strip of the area rather than the whole area.
struct PlanarGrid {
    var cellWidth: Double
    var cellHeight: Double
    var originX = 0.0
    var originY = 0.0

    func column(_ x: Double) -> Int { Int(((x - originX) / cellWidth).rounded(.down)) }

    func row(_ y: Double) -> Int { Int(((y - originY) / cellHeight).rounded(.down)) }

    func columns(from minX: Double, to maxX: Double) -> ClosedRange<Int> {
        column(minX)...max(column(minX), Int(((maxX - originX) / cellWidth).rounded(.up)) - 1)
    }

    func rows(from minY: Double, to maxY: Double) -> ClosedRange<Int> {
        row(minY)...max(row(minY), Int(((maxY - originY) / cellHeight).rounded(.up)) - 1)
    }

    /// Lower-left corner of a cell.
    func corner(column: Int, row: Int) -> (x: Double, y: Double) {
        (originX + Double(column) * cellWidth, originY + Double(row) * cellHeight)
    }

    /// The closed counter-clockwise ring of a cell.
    func ring(column: Int, row: Int) -> [Double] {
        let (x, y) = corner(column: column, row: row)
        let east = x + cellWidth, north = y + cellHeight
        return [x, y, east, y, east, north, x, north, x, y]
    }

    /// Calls `body` with (column, row, the cell's piece of `area` as polygons, full-cell flag)
    /// for every cell whose intersection with `area` has an area, row by row from the south and
    /// west to east within a row. A cell counts as full (and is kept whole) when its piece covers
    /// all but a millionth of it: an area drawn on the grid's own lines loses a few mm² in the
    /// round trip through WGS84.
    func forEachCell(
        covering area: GEOSGeom, geos: GEOSContext,
        _ body: (Int, Int, [[[Double]]], Bool) throws -> Void
    ) throws {
        guard let extent = area.extent else { return }
        let rowRange = rows(from: extent.minY, to: extent.maxY)
        let columnRange = columns(from: extent.minX, to: extent.maxX)
        let rings = area.polygonRings().flatMap { $0 }
        let cells = CellClassification(grid: self, rings: rings, rows: rowRange, columns: columnRange)
        let cellArea = cellWidth * cellHeight
        let stripWest = corner(column: columnRange.lowerBound, row: 0).x
        let stripEast = corner(column: columnRange.upperBound + 1, row: 0).x
        // Strips are cut from bands of a few rows, bands from the whole area: each cut only scans
        // a geometry a few times taller than its result.
        let rowsPerBand = 8
        var band: (index: Int, geometry: GEOSGeom)?
        for row in rowRange {
            let y = corner(column: 0, row: row).y
            let bandIndex = (row - rowRange.lowerBound) / rowsPerBand
            var strip: GEOSGeom?
            for (column, kind) in cells.row(row) {
                switch kind {
                case .inside:
                    try body(column, row, [[ring(column: column, row: row)]], true)
                case .boundary:
                    if band?.index != bandIndex {
                        let south = corner(column: 0, row: rowRange.lowerBound + bandIndex * rowsPerBand).y
                        band = (bandIndex, try area.intersection(try geos.rectangle(
                            minX: stripWest, minY: south, maxX: stripEast, maxY: south + Double(rowsPerBand) * cellHeight
                        )))
                    }
                    if strip == nil {
                        strip = try band!.geometry.intersection(
                            try geos.rectangle(minX: stripWest, minY: y, maxX: stripEast, maxY: y + cellHeight)
                        )
                    }
                    let x = corner(column: column, row: row).x
                    let cell = try geos.rectangle(minX: x, minY: y, maxX: x + cellWidth, maxY: y + cellHeight)
                    let piece = try strip!.intersection(cell)
                    let pieceArea = piece.area
                    guard pieceArea > 0 else { continue }
                    let full = pieceArea >= cellArea * (1 - 1e-6)
                    try body(column, row, full ? [[ring(column: column, row: row)]] : piece.polygonRings(), full)
                }
            }
        }
    }
}
