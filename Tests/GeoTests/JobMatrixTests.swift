import FleetModel
@testable import Geo
import Testing

@Suite struct JobMatrixTests {
    @Test func eoCanvasYearsTimesSeasonsIsOneDeclaration() throws {
        let windows = try TimeWindowSpec(parsing: "seasons:2016-2023").windows
        #expect(windows.count == 32)
        let winter2016 = try #require(windows.first { $0.label == "2016-winter" })
        #expect(winter2016.start.description == "2016-12-01")
        #expect(winter2016.end.description == "2017-02-28")
        let winter2019 = try #require(windows.first { $0.label == "2019-winter" })
        #expect(winter2019.end.description == "2020-02-29")
        #expect(winter2016.openEOExtent == .array([.string("2016-12-01"), .string("2017-03-01")]))
    }

    @Test func customSeasonsMonthsQuartersAndExplicitWindows() throws {
        let literal = try TimeWindowSpec(parsing: "seasons:2020:winter=12-01..02-28").windows
        #expect(literal.map(\.end.description) == ["2021-02-28"])
        #expect(try TimeWindowSpec(parsing: "months:2023").windows.map(\.label).last == "2023-12")
        #expect(try TimeWindowSpec(parsing: "months:2024").windows[1].end.description == "2024-02-29")
        #expect(try TimeWindowSpec(parsing: "quarters:2020-2021").windows.count == 8)
        let explicit = try TimeWindowSpec(parsing: "2023-05-01/2023-09-30").windows
        #expect(explicit.map(\.label) == ["2023-05-01/2023-09-30"])
        #expect(throws: GeoValidationError.self) { try TimeWindowSpec(parsing: "2023-09-30/2023-05-01") }
        #expect(throws: GeoValidationError.self) { try TimeWindowSpec(parsing: "seasons:2020:winter=13-01..02-28") }
    }

    @Test func cartesianProductWithDeterministicKeys() throws {
        let tiles = try Tiler().tiles(for: AOIParser().parse(ReferenceAOI.vienna), grid: .kilometres(20)).tiles
        let windows = try TimeWindowSpec(parsing: "seasons:2016-2023").windows
        let dimension = Dimension(name: "model", values: [.string("a"), .string("b")])
        let matrix = try JobMatrix(tiles: tiles, windows: windows, dimensions: [dimension], tileInput: .bboxNative)
        #expect(matrix.count == 6 * 32 * 2)
        let jobs = try matrix.jobs()
        #expect(Set(jobs.map(\.key)).count == jobs.count)
        #expect(try JobMatrix(tiles: tiles.reversed(), windows: windows, dimensions: [dimension]).jobs().map(\.key).sorted() == jobs.map(\.key).sorted())
        let first = jobs[0]
        #expect(first.tileID == "32633-E580-N5320")
        #expect(first.values["model"] == .string("a"))
        #expect(first.parameters["spatial_extent"]?["crs"] == .number(32633))
        #expect(first.parameters["temporal_extent"] == windows[0].openEOExtent)
        #expect(throws: GeoValidationError.self) {
            try JobMatrix(tiles: tiles, dimensions: [Dimension(name: "spatial_extent", values: [.null])])
        }
    }

    @Test func tileInputs() throws {
        let tile = try Tiler().tiles(for: AOIParser().parse(ReferenceAOI.vienna), grid: .kilometres(20)).tiles[0]
        #expect(try TileInput.geometry.value(for: tile)["type"] == .string("Polygon"))
        #expect(try TileInput.bboxWGS84.value(for: tile)["crs"] == .number(4326))
        let collection = try TileInput.featureCollection.value(for: tile)
        #expect(collection["features"]?.arrayValue?.first?["id"] == .string(tile.id))
    }
}
