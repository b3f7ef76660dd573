import Foundation
import Testing
@testable import Geo

/// MGRS squares where MGRS has exceptions (Norway's 32V, Svalbard's 31X–37X) and around them,
/// against vectors the independent `mgrs` package computed (Vectors/mgrs_squares.py says how).
@Suite struct MGRSExceptionTests {
    struct Vector: Sendable, CustomStringConvertible {
        var latitude: Double
        var longitude: Double
        var square: String
        var description: String { "\(latitude),\(longitude) → \(square)" }
    }

    static let vectors: [Vector] = {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/mgrs-squares.tsv").path
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").dropFirst().compactMap { line in
            let fields = line.split(separator: "\t")
            guard fields.count == 3, let latitude = Double(fields[0]), let longitude = Double(fields[1]) else { return nil }
            return Vector(latitude: latitude, longitude: longitude, square: String(fields[2]))
        }
    }()

    @Test func theVectorsCoverTheExceptions() {
        #expect(Self.vectors.count > 800)
        let zones = Set(Self.vectors.map { $0.square.prefix(3) })
        #expect(zones.isSuperset(of: ["31V", "32V", "31X", "33X", "35X", "37X"]))
        #expect(zones.isDisjoint(with: ["32X", "34X", "36X"]))
    }

    @Test func everySquareMatchesTheIndependentImplementation() throws {
        var mismatches: [String] = []
        for vector in Self.vectors {
            let ours = try MGRSGrid.squareID(longitude: vector.longitude, latitude: vector.latitude)
            if ours != vector.square { mismatches.append("\(vector): ours \(ours)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) of \(Self.vectors.count) differ: \(mismatches.prefix(10))")
    }

    @Test func tilingNamesTheSquareAroundEachPoint() throws {
        let tiler = Tiler(options: TilingOptions(minimumAreaKm2: 0))
        var mismatches: [String] = []
        for vector in Self.vectors.enumerated().filter({ $0.offset % 9 == 0 }).map(\.element) {
            let box = "\(vector.longitude - 0.001),\(vector.latitude - 0.0005),\(vector.longitude + 0.001),\(vector.latitude + 0.0005)"
            let ids = try tiler.tiles(for: AOIParser().parse(box), grid: .mgrs(sentinel2Footprint: false)).tiles.map(\.id)
            if ids != [vector.square] { mismatches.append("\(vector): tiles \(ids)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10))")
    }

    @Test func theBergenAreaIs32VNotA31VSquare() throws {
        // 5°E 60°N lies in zone 31's longitudes but in MGRS's widened 32V.
        let result = try Tiler(options: TilingOptions(minimumAreaKm2: 0)).tiles(for: AOIParser().parse("4.9,59.9,5.4,60.5"), grid: .mgrs(sentinel2Footprint: false))
        #expect(result.tiles.allSatisfy { $0.id.hasPrefix("32V") }, "\(result.tiles.map(\.id))")
        #expect(result.tiles.allSatisfy { $0.epsg == 32632 })
        #expect(abs(result.totalAreaKm2 - result.aoiAreaKm2) / result.aoiAreaKm2 < 1e-4)
    }

    @Test func svalbardHasNoEvenXZones() throws {
        let result = try Tiler(options: TilingOptions(minimumAreaKm2: 0)).tiles(for: AOIParser().parse("5,77,40,79"), grid: .mgrs(sentinel2Footprint: false))
        let zones = Set(result.tiles.map { String($0.id.prefix(3)) })
        #expect(zones == ["31X", "33X", "35X", "37X"], "\(zones)")
        #expect(abs(result.totalAreaKm2 - result.aoiAreaKm2) / result.aoiAreaKm2 < 1e-4)
    }
}
