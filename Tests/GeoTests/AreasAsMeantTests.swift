import Foundation
import Testing
@testable import Geo

/// Areas read as meant: bbox order, the antimeridian, areas beyond half the Earth, areas with no tile.
@Suite struct AreasAsMeantTests {
    func problem(_ body: () throws -> Any) -> GeoValidationError.Problem? {
        do {
            _ = try body()
            return nil
        } catch let error as GeoValidationError {
            return error.problem
        } catch {
            return nil
        }
    }

    func detail(_ problem: GeoValidationError.Problem?) -> String {
        switch problem {
        case .bboxOrder(let text)?, .noTiles(let text)?, .tooManyJobs(let text)?, .invalidTimeWindow(let text)?: text
        default: "\(String(describing: problem))"
        }
    }

    @Test func westEastOfEastIsAnErrorNamingTheFix() throws {
        let found = problem { try AOIParser().parse("16.7,48.0,16.1,48.3") }
        guard case .bboxOrder = found else { Issue.record("expected bboxOrder, got \(String(describing: found))"); return }
        #expect(detail(found).contains("west 16.7 is east of east 16.1"))
        #expect(detail(found).contains("--antimeridian"))
        #expect(detail(found).contains("split.antimeridian: true"))
        #expect(detail(found).contains("359.4° wide"))
    }

    @Test func antimeridianOptionReadsTheBandAcrossIt() throws {
        let aoi = try AOIParser(antimeridian: true).parse("170,-10,-170,10")
        guard case .polygons(let parts) = aoi.features[0].geometry else { Issue.record("not polygonal"); return }
        #expect(parts.count == 2)
        #expect(aoi.notes == ["the bbox crosses the antimeridian: 20° of longitude from 170 east to -170"])
        let boxes = parts.map { BoundingBox(coordinates: [$0[0]], epsg: 4326) }
        #expect(Set(boxes.map { $0.east - $0.west }) == [10])
    }

    @Test func southNotBelowNorthNamesBoth() {
        let found = problem { try AOIParser().parse("16.1,48.3,16.7,48.0") }
        #expect(found == .bboxOrder("south 48.3 is not below north 48 (a bbox is west,south,east,north)"))
    }

    @Test func negativeWestBboxParsesAsTyped() throws {
        let aoi = try AOIParser().parse("-9.5,38.6,-8.9,39.0")
        guard case .polygons(let parts) = aoi.features[0].geometry else { Issue.record("not polygonal"); return }
        #expect(parts.count == 1)
        #expect(BoundingBox(coordinates: [parts[0][0]], epsg: 4326) == BoundingBox(west: -9.5, south: 38.6, east: -8.9, north: 39, epsg: 4326))
        #expect(aoi.notes.isEmpty)
    }

    @Test func polygonEdgeLongerThan180IsSplitAndSaidSo() throws {
        let ring = "[[179.5,-17.5],[-179.5,-17.5],[-179.5,-16.5],[179.5,-16.5],[179.5,-17.5]]"
        let collection = """
        {"type":"FeatureCollection","features":[
          {"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[1,1],[2,1],[2,2],[1,2],[1,1]]]}},
          {"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[\(ring)]}}]}
        """
        let aoi = try AOIParser().parse(collection)
        #expect(aoi.notes.count == 1)
        #expect(aoi.notes.first?.hasPrefix("feature 1: an edge spans more than 180° of longitude") == true)
        let wkt = try AOIParser().parse("POLYGON ((179.5 -17.5, -179.5 -17.5, -179.5 -16.5, 179.5 -16.5, 179.5 -17.5))")
        #expect(wkt.notes.count == 1)
    }

    /// Area between two parallels over a longitude span on the WGS84 ellipsoid (authalic formula),
    /// independent of the geodesic polygon code.
    static func quadrangleKm2(west: Double, south: Double, east: Double, north: Double) -> Double {
        let a = 6_378_137.0, f = 1 / 298.257223563
        let e2 = f * (2 - f), e = e2.squareRoot()
        func q(_ latitude: Double) -> Double {
            let s = sin(latitude * .pi / 180)
            return (1 - e2) * (s / (1 - e2 * s * s) - 1 / (2 * e) * log((1 - e * s) / (1 + e * s)))
        }
        return a * a * (east - west) * .pi / 180 / 2 * (q(north) - q(south)) / 1e6
    }

    @Test func areasLargerThanHalfTheEarthReportTheirTrueArea() throws {
        let earth = Self.quadrangleKm2(west: -180, south: -90, east: 180, north: 90)
        #expect(abs(earth - 510_065_621.7) < 1)
        for (west, south, east, north) in [(-170.0, -60.0, 170.0, 60.0), (-180.0, -80.0, 180.0, 84.0), (10.0, 40.0, 11.0, 41.0)] {
            let aoi = try AOIParser().parse("\(west),\(south),\(east),\(north)")
            let area = try TilingRun(options: TilingOptions()).polygonalArea(of: aoi).areaKm2
            let expected = Self.quadrangleKm2(west: west, south: south, east: east, north: north)
            #expect(abs(area - expected) / expected < 1e-5, "\(west),\(south),\(east),\(north): \(area) km² vs \(expected) km²")
        }
        // The same large area drawn clockwise (no edge longer than 180°) is the same area.
        let clockwise = "{\"type\":\"Polygon\",\"coordinates\":[[[-170,-60],[-170,60],[0,60],[170,60],[170,-60],[0,-60],[-170,-60]]]}"
        let area = try TilingRun(options: TilingOptions()).polygonalArea(of: AOIParser().parse(clockwise)).areaKm2
        let expected = Self.quadrangleKm2(west: -170, south: -60, east: 170, north: 60)
        #expect(abs(area - expected) / expected < 1e-5)
    }

    @Test func anAreaSmallerThanMinAreaGivesNoTilesAndSaysWhy() {
        let found = problem { try Tiler().tiles(for: AOIParser().parse("16.0,48.0,16.00001,48.00001"), grid: .kilometres(20)) }
        guard case .noTiles = found else { Issue.record("expected noTiles, got \(String(describing: found))"); return }
        #expect(detail(found).contains("the only piece is below min_area 0.01 km²"))
    }

    @Test func lonLatReadInAProjectedCRSGivesNoTilesNamingTheCRS() {
        let found = problem {
            try Tiler().tiles(for: AOIParser(wktEPSG: 3857).parse("POLYGON ((16 48, 16.5 48, 16.5 48.3, 16 48.3, 16 48))"), grid: .kilometres(20))
        }
        guard case .noTiles = found else { Issue.record("expected noTiles, got \(String(describing: found))"); return }
        #expect(detail(found).contains("read in EPSG:3857 units"))
    }

    @Test func cellsSmallerThanMinAreaAreRefusedBeforeTiling() throws {
        let vienna = try AOIParser().parse(ReferenceAOI.vienna)
        let found = problem { try Tiler().tiles(for: vienna, grid: TileGrid(parsing: "crs:3413:20")) }
        guard case .noTiles = found else { Issue.record("expected noTiles, got \(String(describing: found))"); return }
        #expect(detail(found).contains("did you mean crs:3413:20000?"))
        let km = problem { try Tiler().tiles(for: vienna, grid: .kilometres(0.05)) }
        #expect(detail(km).contains("every cell of km:0.05 is 0.0025 km², below min_area 0.01 km²"))
    }
}
