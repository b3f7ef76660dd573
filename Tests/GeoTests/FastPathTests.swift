import FleetModel
import Foundation
import Testing
@testable import Geo

/// The pieces behind the fast tiling path: cell classification, UTM pipelines, JSON bytes,
/// dimension parsing.
@Suite struct FastPathTests {
    let grid = PlanarGrid(cellWidth: 10, cellHeight: 10)

    func kinds(_ cells: CellClassification, row: Int) -> [Int: CellClassification.Kind] {
        Dictionary(uniqueKeysWithValues: cells.row(row).map { ($0.column, $0.kind) })
    }

    @Test func squareWithHoleIsClassifiedPerCell() {
        // Shell 0…50 × 0…50 shifted by 5 (so its edges run through cells), hole 20…30 × 20…30
        // exactly on grid lines.
        let shell: [Double] = [5, 5, 55, 5, 55, 55, 5, 55, 5, 5]
        let hole: [Double] = [20, 20, 20, 30, 30, 30, 30, 20, 20, 20]
        let cells = CellClassification(grid: grid, rings: [shell, hole], rows: 0...5, columns: 0...5)
        let bottom = kinds(cells, row: 0)
        #expect(bottom.count == 6 && bottom.values.allSatisfy { $0 == .boundary })
        let middle = kinds(cells, row: 2)
        #expect(middle[0] == .boundary && middle[5] == .boundary)
        #expect(middle[1] == .boundary && middle[3] == .boundary, "cells touching the hole are boundary cells")
        #expect(middle[2] == .boundary)
        let inside = kinds(cells, row: 4)
        #expect(inside[1] == .inside && inside[2] == .inside && inside[3] == .inside && inside[4] == .inside)
        #expect(cells.row(7).isEmpty)
    }

    @Test func cellsOutsideAConcaveAreaAreLeftOut() {
        // A U shape: two arms 0…10 and 40…50 wide, joined at the bottom 0…10 high.
        let ring: [Double] = [0, 0, 50, 0, 50, 50, 40, 50, 40, 10, 10, 10, 10, 50, 0, 50, 0, 0]
        let cells = CellClassification(grid: grid, rings: [ring], rows: 0...4, columns: 0...4)
        let row3 = kinds(cells, row: 3)
        #expect(row3[1] == .boundary && row3[3] == .boundary)
        #expect(row3[2] == nil, "the gap between the arms is outside")
        #expect(row3[0] != nil && row3[4] != nil)
    }

    @Test func gridTilesMatchGEOSOnFrance() throws {
        // Classification plus clipping of boundary cells gives every cell GEOS finds.
        let tiles = try Tiler(options: TilingOptions(minimumAreaKm2: 0)).tiles(
            for: AOIParser().parse(ReferenceAOI.france), grid: .kilometres(50)
        ).tiles
        let run = try TilingRun(options: TilingOptions())
        let zone = UTMZone(number: 31, isNorth: true)
        let area = try run.polygonalArea(of: AOIParser().parse(ReferenceAOI.france)).geometry
        let part = try #require(try run.projectedPart(
            of: area, west: zone.westLongitude, south: 0, east: zone.eastLongitude, north: 84,
            projection: run.proj.fromWGS84(to: zone.epsg)
        )).geometry
        let prepared = try part.prepared()
        let planar = KilometreGrid.planarGrid(sizeKm: 50)
        let extent = try #require(part.extent)
        var expected: Set<String> = []
        for row in planar.rows(from: extent.minY, to: extent.maxY) {
            for column in planar.columns(from: extent.minX, to: extent.maxX) {
                let (x, y) = planar.corner(column: column, row: row)
                let cell = try run.geos.rectangle(minX: x, minY: y, maxX: x + 50_000, maxY: y + 50_000)
                if prepared.intersects(cell), try part.intersection(cell).area > 0 {
                    expected.insert(KilometreGrid.tileID(epsg: zone.epsg, column: column, row: row, sizeKm: 50))
                }
            }
        }
        #expect(Set(tiles.filter { $0.epsg == 32631 }.map(\.id)) == expected)
    }

    @Test func utmPipelineGivesKnownCoordinates() throws {
        let context = try ProjContext()
        var north = [3.0, 45.0, 9.0, 0.0]
        try context.fromWGS84(to: 32631).forward(&north)
        #expect(abs(north[0] - 500_000) < 1e-6 && abs(north[1] - 4_982_950.400) < 1e-3)
        #expect(abs(north[3]) < 1e-6)
        var south = [3.0, -45.0]
        try context.fromWGS84(to: 32731).forward(&south)
        #expect(abs(south[1] - 5_017_049.600) < 1e-3)
        try context.fromWGS84(to: 32731).inverse(&south)
        #expect(abs(south[0] - 3) < 1e-9 && abs(south[1] + 45) < 1e-9)
        #expect(UTMZone(epsg: 32633) == UTMZone(number: 33, isNorth: true))
        #expect(UTMZone(epsg: 3035) == nil && UTMZone(epsg: 32661) == nil)
    }

    @Test func jsonBytesSpellNumbersLikeJSONValue() {
        for value in [0.0, -0.0, 1, -12, 0.1, 1e-7, 123456.789, 1e300, -2.5e-12, .nan, .infinity] {
            var bytes = JSONBytes()
            bytes.append(number: value)
            #expect(bytes.string == JSONValue.format(value))
        }
        var coordinates = JSONBytes()
        for value in [16.148208039746, -0.000000001, 48.0, -179.9999999996, 5_000_000.25] {
            coordinates.append(coordinate: value)
            coordinates.append(byte: UInt8(ascii: " "))
        }
        #expect(coordinates.string == "16.14820804 -0.000000001 48 -180 5000000.25 ")
        var text = JSONBytes()
        text.append(quoted: "a\"b\\c\n\u{1}é")
        #expect(text.string == "\"a\\\"b\\\\c\\n\\u0001é\"")
    }

    @Test func dimensionSpecs() throws {
        let dimension = try Dimension(parsing: "model=a, b,2,true,-1.5")
        #expect(dimension.name == "model")
        #expect(dimension.values == [.string("a"), .string("b"), .number(2), .bool(true), .number(-1.5)])
        for bad in ["model", "=a,b", "model=", "model=a,,b", "model=a,a", "mo del=a"] {
            #expect(throws: GeoValidationError.self, "\(bad)") { try Dimension(parsing: bad) }
        }
        do {
            _ = try Dimension(parsing: "model=a,,b")
        } catch let error as GeoValidationError {
            #expect(error.description == "invalid dimension: 'model=a,,b': value 2 is empty")
        }
    }

    @Test func commandLineMessagesEndWithOneNewline() {
        let error = GeoValidationError(.invalidDimension("'model=': no values after '='"))
        #expect(error.commandLineMessage(command: "tilefleet tiles") == "tilefleet tiles: invalid dimension: 'model=': no values after '='\n")
        let trailing = GeoValidationError(.malformed("cannot read x\n"))
        #expect(trailing.commandLineMessage(command: "t").hasSuffix("x\n"))
        #expect(!trailing.commandLineMessage(command: "t").hasSuffix("\n\n"))
    }
}
