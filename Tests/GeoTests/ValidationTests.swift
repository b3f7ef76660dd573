import Testing
@testable import Geo

@Suite struct ValidationTests {
    func error(_ text: String) -> GeoValidationError? {
        do {
            _ = try AOIParser().parse(text)
            return nil
        } catch let error as GeoValidationError {
            return error
        } catch {
            return nil
        }
    }

    func collection(_ geometries: String...) -> String {
        let features = geometries.map { "{\"type\":\"Feature\",\"properties\":{},\"geometry\":\($0)}" }
        return "{\"type\":\"FeatureCollection\",\"features\":[\(features.joined(separator: ","))]}"
    }

    let good = "{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}"

    @Test func unclosedRingNamesFeatureAndRing() {
        let unclosed = "{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],[0,1],[0,0.5]]]}"
        let found = error(collection(good, unclosed))
        #expect(found == GeoValidationError(.unclosedRing(ring: 0), featureIndex: 1))
        #expect(found?.description == "feature 1: ring 0 is not closed (its first and last positions differ)")
    }

    @Test func tooFewPoints() {
        let short = "{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[0,0]]]}"
        #expect(error(collection(short)) == GeoValidationError(.tooFewPoints(ring: 0, count: 3), featureIndex: 0))
    }

    @Test func coordinatesOutOfRange() {
        let longitude = "{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[181,0],[1,1],[0,0]]]}"
        let latitude = "{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,91],[0,0]]]}"
        #expect(error(collection(good, good, longitude)) == GeoValidationError(.longitudeOutOfRange(181), featureIndex: 2))
        #expect(error(latitude) == GeoValidationError(.latitudeOutOfRange(91), featureIndex: 0))
        #expect(error("10,40,200,50") == GeoValidationError(.longitudeOutOfRange(200), featureIndex: 0))
    }

    @Test func selfIntersectionCarriesGEOSReasonAndLocation() throws {
        let bowtie = "{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[2,2],[2,0],[0,2],[0,0]]]}"
        let found = try #require(error(collection(good, bowtie)))
        #expect(found.featureIndex == 1)
        guard case .invalidGeometry(let reason, let x, let y) = found.problem else {
            Issue.record("expected invalidGeometry, got \(found)")
            return
        }
        #expect(reason == "Self-intersection")
        #expect(x == 1 && y == 1)
        #expect(found.description == "feature 1: invalid geometry: Self-intersection at (1.0, 1.0)")
    }

    @Test func emptyGeometries() {
        #expect(error("{\"type\":\"FeatureCollection\",\"features\":[]}") == GeoValidationError(.emptyGeometry))
        #expect(error("{\"type\":\"Polygon\",\"coordinates\":[]}") == GeoValidationError(.emptyGeometry, featureIndex: 0))
        #expect(error("{\"type\":\"Feature\",\"properties\":{},\"geometry\":null}") == GeoValidationError(.emptyGeometry, featureIndex: 0))
        #expect(error("POLYGON EMPTY") == GeoValidationError(.emptyGeometry, featureIndex: 0))
        #expect(error("   ") == GeoValidationError(.emptyGeometry))
    }

    @Test func unsupportedTypes() {
        let line = "{\"type\":\"LineString\",\"coordinates\":[[0,0],[1,1]]}"
        #expect(error(collection(good, line)) == GeoValidationError(.unsupportedType("LineString"), featureIndex: 1))
        #expect(error("LINESTRING (0 0, 1 1)") == GeoValidationError(.unsupportedType("LINESTRING"), featureIndex: 0))
    }

    @Test func malformedInput() {
        #expect(error("{\"type\":") != nil)
        #expect(error("{\"coordinates\":[]}") == GeoValidationError(.malformed("GeoJSON object without a 'type'")))
        if case .malformed? = error("POLYGON ((0 0, 1 0, 1 1))")?.problem {} else { Issue.record("WKT ring not closed") }
        #expect(error("EPSG:999999;POLYGON ((0 0, 1 0, 1 1, 0 0))")?.problem == .unknownCRS("EPSG:999999"))
    }

    @Test func holesAreKeptAndValidated() throws {
        let holed = "{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[4,0],[4,4],[0,4],[0,0]],[[1,1],[2,1],[2,2],[1,2],[1,1]]]}"
        let aoi = try AOIParser().parse(holed)
        guard case .polygons(let polygons) = aoi.features[0].geometry else { Issue.record("not polygonal"); return }
        #expect(polygons[0].count == 2)
        let outside = "{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[4,0],[4,4],[0,4],[0,0]],[[5,5],[6,5],[6,6],[5,6],[5,5]]]}"
        if case .invalidGeometry(let reason, _, _)? = error(outside)?.problem {
            #expect(reason == "Hole lies outside shell")
        } else {
            Issue.record("hole outside shell accepted")
        }
    }
}
