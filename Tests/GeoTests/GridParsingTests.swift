import Testing
@testable import Geo

@Suite struct GridParsingTests {
    @Test func apexAliasesAreKilometreGrids() throws {
        #expect(try TileGrid(parsing: "20x20km") == .kilometres(20))
        #expect(try TileGrid(parsing: "250x250km") == .kilometres(250))
        #expect(try TileGrid(parsing: "km:20") == .kilometres(20))
    }

    @Test func geocubeShapeTimesResolution() throws {
        #expect(try TileGrid(parsing: "crs:32631:4096x4096@10") == .crs(epsg: 32631, cellWidth: 40960, cellHeight: 40960))
        #expect(try TileGrid(parsing: "crs:EPSG:3035:10000") == .crs(epsg: 3035, cellWidth: 10000, cellHeight: 10000))
    }

    @Test func groupsAndMGRS() throws {
        #expect(try TileGrid(parsing: "group:km:20,max_features:60") == .group(.kilometres(20), maxFeatures: 60))
        #expect(try TileGrid(parsing: "mgrs:s2") == .mgrs(sentinel2Footprint: true))
        #expect(throws: GeoValidationError.self) { try TileGrid(parsing: "group:features") }
        #expect(throws: GeoValidationError.self) { try TileGrid(parsing: "hex:4") }
        #expect(try TileGrid(parsing: TileGrid.group(.kilometres(2.5), maxFeatures: 3).description) == .group(.kilometres(2.5), maxFeatures: 3))
    }
}
