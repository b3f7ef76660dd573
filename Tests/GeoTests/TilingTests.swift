import FleetModel
import Foundation
import Testing
@testable import Geo

@Suite struct TilingTests {
    let tiler = Tiler(options: TilingOptions(minimumAreaKm2: 0))

    func parse(_ text: String) throws -> AOI { try AOIParser().parse(text) }

    func polygon(_ ring: [(Double, Double)], holes: [[(Double, Double)]] = []) -> String {
        func coordinates(_ ring: [(Double, Double)]) -> String {
            "[" + (ring + [ring[0]]).map { "[\($0.0),\($0.1)]" }.joined(separator: ",") + "]"
        }
        return "{\"type\":\"Polygon\",\"coordinates\":[\(([ring] + holes).map(coordinates).joined(separator: ","))]}"
    }

    func box(_ west: Double, _ south: Double, _ east: Double, _ north: Double) -> [(Double, Double)] {
        [(west, south), (east, south), (east, north), (west, north)]
    }

    @Test func viennaGivesSixTilesInZone33() throws {
        let result = try tiler.tiles(for: parse(ReferenceAOI.vienna), grid: .kilometres(20))
        #expect(result.tiles.count == 6)
        #expect(result.tiles.allSatisfy { $0.epsg == 32633 && $0.zone == "33N" })
        #expect(result.tiles.map(\.id) == [
            "32633-E580-N5320", "32633-E580-N5340", "32633-E600-N5320",
            "32633-E600-N5340", "32633-E620-N5320", "32633-E620-N5340",
        ])
        let relative = abs(result.totalAreaKm2 - result.aoiAreaKm2) / result.aoiAreaKm2
        #expect(relative < 1e-4)
    }

    @Test func tileAreasAddUpToGeodesicAreaOfFrance() throws {
        let result = try tiler.tiles(for: parse(ReferenceAOI.france), grid: .kilometres(20))
        #expect(result.aoiAreaKm2 > 500_000 && result.aoiAreaKm2 < 580_000)
        let relative = abs(result.totalAreaKm2 - result.aoiAreaKm2) / result.aoiAreaKm2
        #expect(relative < 1e-4, "tiles \(result.totalAreaKm2) km² vs AOI \(result.aoiAreaKm2) km²")
        #expect(Set(result.tiles.map(\.epsg)) == [32630, 32631, 32632])
        #expect(Set(result.tiles.map(\.id)).count == result.tiles.count)
    }

    @Test func aoiAreaMatchesIndependentGeodesicArea() throws {
        let aoi = try parse(polygon(box(10, 45, 11, 46)))
        let result = try tiler.tiles(for: aoi, grid: .kilometres(10))
        let ring = [10.0, 45, 11, 45, 11, 46, 10, 46, 10, 45]
        let dense = PlanarRing.densify(ring, maxSegment: 0.001)
        let expected = GeodesicArea().ringArea(dense) / 1e6
        #expect(abs(result.aoiAreaKm2 - expected) / expected < 1e-6)
        #expect(abs(result.totalAreaKm2 - expected) / expected < 1e-4)
    }

    @Test func sliversBelowMinimumAreaAreDroppedAndReported() throws {
        let result = try Tiler(options: TilingOptions(minimumAreaKm2: 150)).tiles(for: parse(ReferenceAOI.vienna), grid: .kilometres(20))
        #expect(result.droppedSliverCount > 0)
        #expect(result.tiles.allSatisfy { $0.areaKm2 >= 150 })
        let relative = abs(result.totalAreaKm2 + result.droppedSliverAreaKm2 - result.aoiAreaKm2) / result.aoiAreaKm2
        #expect(relative < 1e-4)
    }

    @Test func holesStayHoles() throws {
        let outer = box(14.0, 47.0, 15.0, 47.8)
        let hole = box(14.3, 47.2, 14.7, 47.6)
        let result = try tiler.tiles(for: parse(polygon(outer, holes: [hole])), grid: .kilometres(5))
        let solid = try tiler.tiles(for: parse(polygon(outer)), grid: .kilometres(5))
        let holeArea = try tiler.tiles(for: parse(polygon(hole)), grid: .kilometres(5)).aoiAreaKm2
        #expect(abs(result.aoiAreaKm2 - (solid.aoiAreaKm2 - holeArea)) < 1e-3)
        #expect(abs(result.totalAreaKm2 - result.aoiAreaKm2) / result.aoiAreaKm2 < 1e-4)
        let inside = result.tiles.filter { $0.bboxWGS84.west > 14.31 && $0.bboxWGS84.east < 14.69 && $0.bboxWGS84.south > 47.21 && $0.bboxWGS84.north < 47.59 }
        #expect(inside.isEmpty)
        #expect(result.tiles.count < solid.tiles.count)
    }

    @Test func sameAOIGivesSameTiles() throws {
        let first = try tiler.tiles(for: parse(ReferenceAOI.vienna), grid: .kilometres(20)).tiles
        let second = try tiler.tiles(for: parse(ReferenceAOI.vienna), grid: .kilometres(20)).tiles
        #expect(first == second)
    }

    @Test func idsAndFullCellsAreStableUnderAOIShifts() throws {
        let base = try tiler.tiles(for: parse(polygon(box(15.0, 47.0, 16.5, 48.0))), grid: .kilometres(20)).tiles
        let shifted = try tiler.tiles(for: parse(polygon(box(15.01, 47.01, 16.51, 48.01))), grid: .kilometres(20)).tiles
        let baseFull = Dictionary(uniqueKeysWithValues: base.filter(\.fullCell).map { ($0.id, $0) })
        let shiftedFull = Dictionary(uniqueKeysWithValues: shifted.filter(\.fullCell).map { ($0.id, $0) })
        let common = Set(baseFull.keys).intersection(shiftedFull.keys)
        #expect(common.count > 10)
        for id in common {
            #expect(baseFull[id]!.geometry == shiftedFull[id]!.geometry)
        }
        #expect(Set(base.map(\.id)).intersection(shifted.map(\.id)).count >= base.count - 12)
    }

    @Test func cellIdIsItsLowerLeftCornerInKilometres() throws {
        let result = try tiler.tiles(for: parse(ReferenceAOI.vienna), grid: .kilometres(20))
        for tile in result.tiles {
            let parts = tile.id.split(separator: "-")
            let easting = Double(parts[1].dropFirst())! * 1000, northing = Double(parts[2].dropFirst())! * 1000
            #expect(tile.bboxNative.west >= easting - 1e-6 && tile.bboxNative.east <= easting + 20_000 + 1e-6)
            #expect(tile.bboxNative.south >= northing - 1e-6 && tile.bboxNative.north <= northing + 20_000 + 1e-6)
        }
    }

    @Test func areaIsSplitAtUTMZoneBorders() throws {
        let result = try tiler.tiles(for: parse(polygon(box(11.5, 47.0, 12.5, 47.5))), grid: .kilometres(10))
        #expect(Set(result.tiles.map(\.epsg)) == [32632, 32633])
        for tile in result.tiles {
            if tile.epsg == 32632 { #expect(tile.bboxWGS84.east <= 12 + 1e-9) }
            if tile.epsg == 32633 { #expect(tile.bboxWGS84.west >= 12 - 1e-9) }
        }
        #expect(abs(result.totalAreaKm2 - result.aoiAreaKm2) / result.aoiAreaKm2 < 1e-4)
        #expect(result.countsByZone.map(\.zone) == ["32N", "33N"])
    }

    @Test func southernHemisphereUses327xxAndEquatorSplits() throws {
        let result = try tiler.tiles(for: parse(polygon(box(30.2, -0.5, 30.8, 0.5))), grid: .kilometres(20))
        #expect(Set(result.tiles.map(\.epsg)) == [32636, 32736])
        #expect(result.tiles.contains { $0.id.hasPrefix("32736-") && $0.id.hasSuffix("-N9980") })
        #expect(abs(result.totalAreaKm2 - result.aoiAreaKm2) / result.aoiAreaKm2 < 1e-4)
    }

    @Test func antimeridianCrossingIsSplitNotABand() throws {
        let aoi = try parse(polygon([(179.5, -17.5), (-179.5, -17.5), (-179.5, -16.5), (179.5, -16.5)]))
        guard case .polygons(let parts) = aoi.features[0].geometry else { Issue.record("not polygonal"); return }
        #expect(parts.count == 2)
        let result = try tiler.tiles(for: aoi, grid: .kilometres(20))
        #expect(Set(result.tiles.map(\.epsg)) == [32760, 32701])
        #expect(result.tiles.allSatisfy { $0.bboxWGS84.east - $0.bboxWGS84.west < 1 })
        #expect(result.aoiAreaKm2 > 11_000 && result.aoiAreaKm2 < 13_000)
        #expect(abs(result.totalAreaKm2 - result.aoiAreaKm2) / result.aoiAreaKm2 < 1e-4)
        let bbox = try AOIParser(antimeridian: true).parse("179.5,-17.5,-179.5,-16.5")
        #expect(abs(try tiler.tiles(for: bbox, grid: .kilometres(20)).aoiAreaKm2 - result.aoiAreaKm2) < 1e-6)
    }

    @Test func latitudesBeyondUTMAreRefused() throws {
        let aoi = try parse(polygon(box(10, 83, 12, 85)))
        #expect(throws: GeoValidationError(.outsideUTMRange(minLatitude: 83, maxLatitude: 85))) {
            try tiler.tiles(for: aoi, grid: .kilometres(20))
        }
        let polar = try tiler.tiles(for: aoi, grid: .crs(epsg: 3413, cellWidth: 50_000, cellHeight: 50_000))
        #expect(!polar.tiles.isEmpty)
    }

    @Test func eoCanvasUTMSubTileAsWKT() throws {
        let aoi = try AOIParser().parse("EPSG:32630;POLYGON ((310000 5540000, 310000 5550000, 300000 5550000, 300000 5540000, 310000 5540000))")
        #expect(aoi.sourceEPSG == 32630)
        let result = try tiler.tiles(for: aoi, grid: .kilometres(10))
        let full = result.tiles.filter { $0.areaKm2 > 1 }
        #expect(full.map(\.id) == ["32630-E300-N5540"])
        #expect(full.first?.fullCell == true)
        #expect(abs(result.aoiAreaKm2 - 100) < 0.5)
    }

    @Test func crsGridAlignsToTheCRSOrigin() throws {
        let result = try tiler.tiles(for: parse(ReferenceAOI.vienna), grid: try TileGrid(parsing: "crs:32633:4096x4096@10"))
        #expect(result.tiles.allSatisfy { $0.id.hasPrefix("32633-X") && $0.epsg == 32633 })
        #expect(result.tiles.contains { $0.id == "32633-X14-Y130" })
        #expect(abs(result.totalAreaKm2 - result.aoiAreaKm2) / result.aoiAreaKm2 < 1e-4)
    }

    @Test func mgrsSquaresAndSentinel2Footprints() throws {
        let squares = try tiler.tiles(for: parse(ReferenceAOI.vienna), grid: .mgrs(sentinel2Footprint: false))
        #expect(squares.tiles.map(\.id) == ["33UWP", "33UXP"])
        #expect(abs(squares.totalAreaKm2 - squares.aoiAreaKm2) / squares.aoiAreaKm2 < 1e-4)
        let footprints = try tiler.tiles(for: parse(ReferenceAOI.vienna), grid: .mgrs(sentinel2Footprint: true))
        #expect(footprints.tiles.map(\.id).contains("33UXP"))
        let xp = footprints.tiles.first { $0.id == "33UXP" }!
        #expect(abs(xp.bboxNative.west - 600_000) < 1e-6 && abs(xp.bboxNative.north - 5_400_000) < 1e-6)
        #expect(abs(xp.bboxNative.east - 709_800) < 1e-6 && abs(xp.bboxNative.south - 5_290_200) < 1e-6)
    }

    @Test func featuresGridKeepsProperties() throws {
        let collection = """
        {"type":"FeatureCollection","features":[
          {"type":"Feature","id":"a","properties":{"crop":"maize"},"geometry":\(polygon(box(5, 50, 5.1, 50.1)))},
          {"type":"Feature","properties":{"crop":"wheat"},"geometry":\(polygon(box(6, 50, 6.1, 50.1)))}]}
        """
        let result = try tiler.tiles(for: parse(collection), grid: .features)
        #expect(result.tiles.map(\.id) == ["a", "feature-1"])
        #expect(result.tiles[0].properties["crop"] == .string("maize"))
    }

    @Test func samplesAreGroupedByCellAndChunked() throws {
        var generator = SeededGenerator(seed: 7)
        let points = (0..<1000).map { index in
            "{\"type\":\"Feature\",\"properties\":{\"n\":\(index)},\"geometry\":{\"type\":\"Point\",\"coordinates\":[\(Double.random(in: 16.15...16.7, using: &generator)),\(Double.random(in: 48.04...48.3, using: &generator))]}}"
        }
        let aoi = try parse("{\"type\":\"FeatureCollection\",\"features\":[\(points.joined(separator: ","))]}")
        let grid = TileGrid.group(.kilometres(20), maxFeatures: 60)
        let result = try tiler.tiles(for: aoi, grid: grid)
        #expect(result.tiles.reduce(0) { $0 + $1.featureCount } == 1000)
        #expect(result.tiles.allSatisfy { $0.featureCount <= 60 && $0.featureCount > 0 })
        #expect(Set(result.tiles.map { String($0.id.prefix(16)) }).count == 6)
        #expect(try tiler.tiles(for: aoi, grid: grid).tiles == result.tiles)
        let collection = try TileInput.featureCollection.value(for: result.tiles[0])
        #expect(collection["features"]?.arrayValue?.count == result.tiles[0].featureCount)
        let mgrs = try tiler.tiles(for: aoi, grid: .group(.mgrs(sentinel2Footprint: false), maxFeatures: nil))
        #expect(mgrs.tiles.map(\.id) == ["33UWP", "33UXP"])
    }

    @Test func pointsNeedAGroupGrid() throws {
        let aoi = try parse("{\"type\":\"Point\",\"coordinates\":[16.3,48.2]}")
        #expect(throws: GeoValidationError.self) { try tiler.tiles(for: aoi, grid: .kilometres(20)) }
    }

    @Test func geoJSONOutputFollowsTheRightHandRule() throws {
        let tile = try tiler.tiles(for: parse(ReferenceAOI.vienna), grid: .kilometres(20)).tiles[0]
        let geometry = try JSONDecoder().decode(JSONValue.self, from: Data(tile.geometry.utf8))
        let ring = geometry["coordinates"]!.arrayValue![0].arrayValue!.flatMap { $0.arrayValue!.map { $0.numberValue! } }
        #expect(GeoJSONWriter.signedArea(ring) > 0)
    }
}

/// A small deterministic generator (SplitMix64) so sample sets are the same on every run.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
