/// Which cells of a ``PlanarGrid`` a polygonal area covers, found without GEOS.
///
/// A cell is `.boundary` when a segment of the area's rings passes through it or within a
/// billionth of a cell of it; the other cells are wholly inside or wholly outside, decided by the
/// even-odd rule at their centre along the row's centre line. The rings must form a valid
/// polygonal geometry (shells and holes, any orientation).
struct CellClassification {
    enum Kind { case inside, boundary }

    private let rows: ClosedRange<Int>
    private let columns: ClosedRange<Int>
    /// Per row: boundary columns, sorted and unique.
    private var boundary: [[Int]]
    /// Per row: x where the rings cross the row's centre line, sorted.
    private var crossings: [[Double]]
    private let grid: PlanarGrid

    init(grid: PlanarGrid, rings: [[Double]], rows: ClosedRange<Int>, columns: ClosedRange<Int>) {
        self.grid = grid
        self.rows = rows
        self.columns = columns
        boundary = Array(repeating: [], count: rows.count)
        crossings = Array(repeating: [], count: rows.count)
        let marginX = grid.cellWidth * 1e-9, marginY = grid.cellHeight * 1e-9
        for ring in rings {
            var index = 0
            while index + 3 < ring.count {
                let x0 = ring[index], y0 = ring[index + 1], x1 = ring[index + 2], y1 = ring[index + 3]
                index += 2
                let firstRow = max(grid.row(min(y0, y1) - marginY), rows.lowerBound)
                let lastRow = min(grid.row(max(y0, y1) + marginY), rows.upperBound)
                guard firstRow <= lastRow else { continue }
                for row in firstRow...lastRow {
                    let slot = row - rows.lowerBound
                    let bandSouth = grid.corner(column: 0, row: row).y
                    let centre = bandSouth + grid.cellHeight / 2
                    if (y0 > centre) != (y1 > centre) {
                        crossings[slot].append(x0 + (centre - y0) * (x1 - x0) / (y1 - y0))
                    }
                    // The part of the segment inside the band (widened by the margin).
                    var lowX = min(x0, x1), highX = max(x0, x1)
                    if y0 != y1 {
                        let south = bandSouth - marginY, north = bandSouth + grid.cellHeight + marginY
                        var t0 = (south - y0) / (y1 - y0), t1 = (north - y0) / (y1 - y0)
                        if t0 > t1 { swap(&t0, &t1) }
                        t0 = max(t0, 0)
                        t1 = min(t1, 1)
                        let xa = x0 + (x1 - x0) * t0, xb = x0 + (x1 - x0) * t1
                        lowX = max(min(xa, xb), lowX)
                        highX = min(max(xa, xb), highX)
                    }
                    let first = max(grid.column(lowX - marginX), columns.lowerBound)
                    let last = min(grid.column(highX + marginX), columns.upperBound)
                    if first <= last { boundary[slot].append(contentsOf: first...last) }
                }
            }
        }
        for slot in boundary.indices {
            boundary[slot].sort()
            var unique: [Int] = []
            unique.reserveCapacity(boundary[slot].count)
            for column in boundary[slot] where unique.last != column { unique.append(column) }
            boundary[slot] = unique
            crossings[slot].sort()
        }
    }

    /// The inside and boundary cells of `row`, west to east.
    func row(_ row: Int) -> [(column: Int, kind: Kind)] {
        guard rows.contains(row) else { return [] }
        let slot = row - rows.lowerBound
        let marks = boundary[slot], xs = crossings[slot]
        var result: [(column: Int, kind: Kind)] = []
        var nextMark = 0, crossed = 0
        for column in columns {
            if nextMark < marks.count, marks[nextMark] == column {
                nextMark += 1
                result.append((column, .boundary))
                continue
            }
            let centre = grid.corner(column: column, row: row).x + grid.cellWidth / 2
            while crossed < xs.count, xs[crossed] < centre { crossed += 1 }
            if crossed % 2 == 1 { result.append((column, .inside)) }
        }
        return result
    }
}
