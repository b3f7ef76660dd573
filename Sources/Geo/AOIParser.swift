import FleetModel
import Foundation

/// Reads and validates an area of interest or sample set.
///
/// Accepts GeoJSON (Polygon, MultiPolygon, Point, Feature, FeatureCollection; holes kept), a bbox
/// (`west,south,east,north` or a JSON array of four numbers, WGS84) and WKT with an EPSG code
/// (`EPSG:32630;POLYGON((…))`, `SRID=32630;POLYGON((…))`, or plain WKT in ``wktEPSG``).
/// Everything is normalised to WGS84. A bbox with west > east is refused unless ``antimeridian``
/// says it crosses the antimeridian (a typo otherwise becomes a band round the Earth); a polygon
/// with an edge jumping more than 180° of longitude is read as crossing it, split at ±180°, and
/// said so in ``AOI/notes``.
/// Errors are ``GeoValidationError`` values naming the feature index and the problem.
public struct AOIParser: Sendable {
    /// The EPSG code of WKT given without an `EPSG:` / `SRID=` prefix.
    public var wktEPSG: Int
    /// Whether a bbox with west > east means the band crossing the antimeridian (`--antimeridian`,
    /// `split.antimeridian: true`); without it such a bbox is an error.
    public var antimeridian: Bool

    public init(wktEPSG: Int = 4326, antimeridian: Bool = false) {
        self.wktEPSG = wktEPSG
        self.antimeridian = antimeridian
    }

    /// Whether `text` can be an inline AOI (GeoJSON, a bbox, WKT, `EPSG:`/`SRID=` WKT) rather than
    /// a file name: a missing `vienna.geojsn` is reported as a missing file, not as bad WKT.
    public static func looksInline(_ text: String) -> Bool {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let first = trimmed.first else { return true }
        if "{[-+.".contains(first) || first.isNumber { return true }
        let upper = trimmed.uppercased()
        return ["SRID=", "EPSG:", "POLYGON", "MULTIPOLYGON", "POINT", "LINESTRING", "MULTIPOINT", "MULTILINESTRING", "GEOMETRYCOLLECTION"]
            .contains { upper.hasPrefix($0) }
    }

    public func parse(data: Data) throws -> AOI {
        guard let text = String(data: data, encoding: .utf8) else {
            throw GeoValidationError(.malformed("input is not UTF-8 text"))
        }
        return try parse(text)
    }

    public func parse(_ input: String) throws -> AOI {
        let text = input.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw GeoValidationError(.emptyGeometry) }
        let geos = GEOSContext()
        if text.hasPrefix("{") {
            var crossings = Set<Int>()
            var aoi = try parseGeoJSON(text, geos: geos, crossings: &crossings)
            aoi.notes = crossings.sorted().map(Self.crossingNote)
            return aoi
        }
        if text.hasPrefix("[") || text.first.map({ $0.isNumber || $0 == "-" || $0 == "+" }) == true {
            return try parseBBox(text, geos: geos)
        }
        var wkt = Substring(text)
        var epsg = wktEPSG
        for prefix in ["SRID=", "EPSG:"] where wkt.uppercased().hasPrefix(prefix) {
            guard let semicolon = wkt.firstIndex(of: ";"),
                  let code = Int(wkt[wkt.index(wkt.startIndex, offsetBy: prefix.count)..<semicolon].trimmingCharacters(in: .whitespaces))
            else {
                throw GeoValidationError(.malformed("expected \(prefix)<code>;<WKT>"))
            }
            epsg = code
            wkt = wkt[wkt.index(after: semicolon)...]
        }
        return try parseWKT(String(wkt).trimmingCharacters(in: .whitespaces), epsg: epsg, geos: geos)
    }

    /// What a polygon with an edge longer than 180° of longitude was taken to mean.
    static func crossingNote(_ index: Int) -> String {
        "feature \(index): an edge spans more than 180° of longitude, so it is read as crossing the antimeridian "
            + "(split at ±180°); to go the long way round instead, add vertices so no edge spans more than 180°"
    }

    // MARK: GeoJSON

    private func parseGeoJSON(_ text: String, geos: GEOSContext, crossings: inout Set<Int>) throws -> AOI {
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        } catch {
            if let problem = JSONSyntax.problem(in: text) { throw GeoValidationError(.malformed("not valid JSON: \(problem)")) }
            throw GeoValidationError(.malformed("not valid JSON (\(Self.reason(error)))"))
        }
        guard let type = value["type"]?.stringValue else {
            throw GeoValidationError(.malformed("GeoJSON object without a 'type'"))
        }
        switch type {
        case "FeatureCollection":
            guard let features = value["features"]?.arrayValue else {
                throw GeoValidationError(.malformed("FeatureCollection without a 'features' array"))
            }
            guard !features.isEmpty else { throw GeoValidationError(.emptyGeometry) }
            return AOI(features: try features.enumerated().map { index, feature in
                try parseFeature(feature, index: index, geos: geos, crossings: &crossings)
            })
        case "Feature":
            return AOI(features: [try parseFeature(value, index: 0, geos: geos, crossings: &crossings)])
        default:
            return AOI(features: [AOIFeature(index: 0, geometry: try parseGeometry(value, index: 0, geos: geos, crossings: &crossings))])
        }
    }

    private func parseFeature(_ value: JSONValue, index: Int, geos: GEOSContext, crossings: inout Set<Int>) throws -> AOIFeature {
        guard value["type"]?.stringValue == "Feature" else {
            throw GeoValidationError(.malformed("expected a Feature"), featureIndex: index)
        }
        guard let geometry = value["geometry"], geometry != .null else {
            throw GeoValidationError(.emptyGeometry, featureIndex: index)
        }
        var properties: [String: JSONValue] = [:]
        if case .object(let members)? = value["properties"] { properties = members }
        return AOIFeature(
            index: index, id: value["id"], properties: properties,
            geometry: try parseGeometry(geometry, index: index, geos: geos, crossings: &crossings)
        )
    }

    private func parseGeometry(_ value: JSONValue, index: Int, geos: GEOSContext, crossings: inout Set<Int>) throws -> AOIGeometry {
        guard let type = value["type"]?.stringValue else {
            throw GeoValidationError(.malformed("geometry without a 'type'"), featureIndex: index)
        }
        let coordinates = value["coordinates"]
        switch type {
        case "Point":
            guard let position = coordinates?.arrayValue, !position.isEmpty else {
                throw GeoValidationError(.emptyGeometry, featureIndex: index)
            }
            let xy = try Self.position(position, index: index)
            return .point(longitude: xy.0, latitude: xy.1)
        case "Polygon":
            let rings = try Self.rings(coordinates, index: index)
            let (polygons, crossed) = try Self.normalize(rings, index: index, geos: geos)
            if crossed { crossings.insert(index) }
            return .polygons(polygons)
        case "MultiPolygon":
            guard let polygons = coordinates?.arrayValue else {
                throw GeoValidationError(.malformed("MultiPolygon without 'coordinates'"), featureIndex: index)
            }
            guard !polygons.isEmpty else { throw GeoValidationError(.emptyGeometry, featureIndex: index) }
            return .polygons(try polygons.flatMap { polygon in
                let (parts, crossed) = try Self.normalize(try Self.rings(polygon, index: index), index: index, geos: geos)
                if crossed { crossings.insert(index) }
                return parts
            })
        default:
            throw GeoValidationError(.unsupportedType(type), featureIndex: index)
        }
    }

    private static func rings(_ coordinates: JSONValue?, index: Int) throws -> [[Double]] {
        guard let rings = coordinates?.arrayValue else {
            throw GeoValidationError(.malformed("Polygon without 'coordinates'"), featureIndex: index)
        }
        guard !rings.isEmpty else { throw GeoValidationError(.emptyGeometry, featureIndex: index) }
        return try rings.enumerated().map { ringIndex, ring in
            guard let positions = ring.arrayValue else {
                throw GeoValidationError(.malformed("ring \(ringIndex) is not an array of positions"), featureIndex: index)
            }
            if positions.isEmpty, ringIndex == 0 { throw GeoValidationError(.emptyGeometry, featureIndex: index) }
            var xy: [Double] = []
            xy.reserveCapacity(positions.count * 2)
            for position in positions {
                guard let numbers = position.arrayValue else {
                    throw GeoValidationError(.malformed("ring \(ringIndex) holds a non-position"), featureIndex: index)
                }
                let (x, y) = try Self.position(numbers, index: index)
                xy.append(x)
                xy.append(y)
            }
            try checkRing(xy, ring: ringIndex, index: index)
            return xy
        }
    }

    private static func position(_ numbers: [JSONValue], index: Int) throws -> (Double, Double) {
        guard numbers.count >= 2, let longitude = numbers[0].numberValue, let latitude = numbers[1].numberValue else {
            throw GeoValidationError(.malformed("a position must be [longitude, latitude]"), featureIndex: index)
        }
        try checkRange(longitude: longitude, latitude: latitude, index: index)
        return (longitude, latitude)
    }

    private static func checkRange(longitude: Double, latitude: Double, index: Int) throws {
        guard (-180...180).contains(longitude) else {
            throw GeoValidationError(.longitudeOutOfRange(longitude), featureIndex: index)
        }
        guard (-90...90).contains(latitude) else {
            throw GeoValidationError(.latitudeOutOfRange(latitude), featureIndex: index)
        }
    }

    private static func checkRing(_ xy: [Double], ring: Int, index: Int) throws {
        let count = xy.count / 2
        guard count >= 4 else { throw GeoValidationError(.tooFewPoints(ring: ring, count: count), featureIndex: index) }
        guard xy[0] == xy[xy.count - 2], xy[1] == xy[xy.count - 1] else {
            throw GeoValidationError(.unclosedRing(ring: ring), featureIndex: index)
        }
    }

    // MARK: Validity and the antimeridian

    /// Validates one polygon (rings in lon/lat) with GEOS and splits it at the antimeridian when
    /// an edge jumps by more than 180° of longitude (then `crossed` is true, for a note).
    static func normalize(_ rings: [[Double]], index: Int, geos: GEOSContext) throws -> (polygons: [[[Double]]], crossed: Bool) {
        let crosses = rings.contains { ring in
            stride(from: 2, to: ring.count, by: 2).contains { abs(ring[$0] - ring[$0 - 2]) > 180 }
        }
        var unwrapped = rings
        if crosses {
            for ringIndex in unwrapped.indices {
                PlanarRing.unwrapLongitudes(&unwrapped[ringIndex], around: nil)
                let ring = unwrapped[ringIndex]
                guard ring[0] == ring[ring.count - 2] else {
                    throw GeoValidationError(
                        .malformed("ring \(ringIndex) circles a pole; split it or use a polar crs: grid"), featureIndex: index
                    )
                }
                if ringIndex > 0 {
                    let shift = ((unwrapped[0][0] - ring[0]) / 360).rounded() * 360
                    for position in stride(from: 0, to: ring.count, by: 2) { unwrapped[ringIndex][position] += shift }
                }
            }
        }
        let polygon = try geos.polygon(unwrapped)
        if let problem = polygon.invalidity() {
            let x = problem.x > 180 ? problem.x - 360 : (problem.x < -180 ? problem.x + 360 : problem.x)
            throw GeoValidationError(.invalidGeometry(reason: problem.reason, x: x, y: problem.y), featureIndex: index)
        }
        return (crosses ? try splitAtAntimeridian(polygon, geos: geos) : [rings], crosses)
    }

    /// Cuts a polygon whose longitudes run past ±180° into parts inside -180…180.
    static func splitAtAntimeridian(_ polygon: GEOSGeom, geos: GEOSContext) throws -> [[[Double]]] {
        var parts: [[[Double]]] = []
        for shift in [-360.0, 0, 360] {
            let window = try geos.rectangle(minX: -180 - shift, minY: -90, maxX: 180 - shift, maxY: 90)
            for var rings in try polygon.intersection(window).polygonRings() {
                for ringIndex in rings.indices {
                    for position in stride(from: 0, to: rings[ringIndex].count, by: 2) {
                        rings[ringIndex][position] = min(max(rings[ringIndex][position] + shift, -180), 180)
                    }
                }
                parts.append(rings)
            }
        }
        return parts
    }

    // MARK: bbox and WKT

    private func parseBBox(_ text: String, geos: GEOSContext) throws -> AOI {
        let numbers = text.trimmingCharacters(in: CharacterSet(charactersIn: "[] "))
            .split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard numbers.count == 4, let west = numbers[0], let south = numbers[1],
              let east = numbers[2], let north = numbers[3]
        else {
            throw GeoValidationError(.malformed("a bbox is four numbers: west,south,east,north (WGS84)"))
        }
        try Self.checkRange(longitude: west, latitude: south, index: 0)
        try Self.checkRange(longitude: east, latitude: north, index: 0)
        let f = JSONValue.format
        guard south < north else {
            throw GeoValidationError(.bboxOrder("south \(f(south)) is not below north \(f(north)) (a bbox is west,south,east,north)"), featureIndex: 0)
        }
        guard west != east else {
            throw GeoValidationError(.bboxOrder("west and east are both \(f(west)): the box has no width"), featureIndex: 0)
        }
        if west > east, !antimeridian {
            throw GeoValidationError(.bboxOrder(
                "west \(f(west)) is east of east \(f(east)) (a bbox is west,south,east,north): swap them; only if the area "
                    + "really crosses the antimeridian (\(f(east - west + 360))° wide), pass --antimeridian (in a task spec: "
                    + "split.antimeridian: true) or give a polygon that crosses it"
            ), featureIndex: 0)
        }
        let eastUnwrapped = west > east ? east + 360 : east
        let ring = [west, south, eastUnwrapped, south, eastUnwrapped, north, west, north, west, south]
        let polygons = west > east ? try Self.splitAtAntimeridian(try geos.polygon([ring]), geos: geos) : [[ring]]
        var aoi = AOI(features: [AOIFeature(index: 0, geometry: .polygons(polygons))])
        if west > east {
            aoi.notes = ["the bbox crosses the antimeridian: \(f(eastUnwrapped - west))° of longitude from \(f(west)) east to \(f(east))"]
        }
        return aoi
    }

    private func parseWKT(_ text: String, epsg: Int, geos: GEOSContext) throws -> AOI {
        let geometry: GEOSGeom
        switch geos.readWKT(text) {
        case .success(let value): geometry = value
        case .failure(let error):
            let detail = error.message.hasPrefix("WKT: ") ? String(error.message.dropFirst(5)) : error.message
            let (line, column) = Self.wktErrorPosition(text, geos: geos)
            throw GeoValidationError(.malformed("WKT: \(detail) at line \(line), column \(column)"), featureIndex: 0)
        }
        if geometry.isEmpty { throw GeoValidationError(.emptyGeometry, featureIndex: 0) }
        let typeName = String(text.prefix { $0.isLetter }).uppercased()
        guard ["POLYGON", "MULTIPOLYGON", "POINT"].contains(typeName) else {
            throw GeoValidationError(.unsupportedType(typeName), featureIndex: 0)
        }
        if let problem = geometry.invalidity() {
            throw GeoValidationError(.invalidGeometry(reason: problem.reason, x: problem.x, y: problem.y), featureIndex: 0)
        }
        let proj = try ProjContext()
        let projection = try proj.fromWGS84(to: epsg)
        if typeName == "POINT" {
            var xy = geometry.coordinates()
            try projection.inverse(&xy)
            try Self.checkRange(longitude: xy[0], latitude: xy[1], index: 0)
            return AOI(features: [AOIFeature(index: 0, geometry: .point(longitude: xy[0], latitude: xy[1]))], sourceEPSG: epsg)
        }
        // Edges straight in the source CRS stay within a millimetre of it after the round trip
        // through WGS84 when points are 100 m apart.
        let dense = epsg == 4326 ? geometry : try geometry.densified(maxSegment: projection.isGeographic ? 0.001 : 100)
        var polygons: [[[Double]]] = []
        var crossedAny = false
        for var rings in dense.polygonRings() {
            for ringIndex in rings.indices {
                try projection.inverse(&rings[ringIndex])
                for position in stride(from: 0, to: rings[ringIndex].count, by: 2) {
                    try Self.checkRange(longitude: rings[ringIndex][position], latitude: rings[ringIndex][position + 1], index: 0)
                }
            }
            let (parts, crossed) = try Self.normalize(rings, index: 0, geos: geos)
            polygons += parts
            crossedAny = crossedAny || crossed
        }
        return AOI(features: [AOIFeature(index: 0, geometry: .polygons(polygons))], sourceEPSG: epsg,
                   notes: crossedAny ? [Self.crossingNote(0)] : [])
    }

    /// Where WKT stops being readable, as (line, column), 1-based: GEOS's messages name the token
    /// but not its place. Cut after each token, a prefix GEOS reads, or reads up to "end of
    /// stream", is a good start; the first token whose prefix fails otherwise is the culprit
    /// (found by bisection, so a long WKT costs a few dozen reads).
    static func wktErrorPosition(_ text: String, geos: GEOSContext) -> (line: Int, column: Int) {
        let characters = Array(text)
        var tokens: [(start: Int, end: Int)] = []
        var index = 0
        while index < characters.count {
            let character = characters[index]
            if character.isWhitespace { index += 1; continue }
            let start = index
            if "(),".contains(character) {
                index += 1
            } else {
                while index < characters.count, !characters[index].isWhitespace, !"(),".contains(characters[index]) { index += 1 }
            }
            tokens.append((start, index))
        }
        func viable(_ count: Int) -> Bool {
            guard count > 0 else { return true }
            switch geos.readWKT(String(characters[0..<tokens[count - 1].end])) {
            case .success: return true
            case .failure(let error): return error.message.contains("end of stream")
            }
        }
        var position = characters.count
        if !viable(tokens.count) {
            // Invariant: viable(low), !viable(high).
            var low = 0, high = tokens.count
            while high - low > 1 {
                let middle = (low + high) / 2
                if viable(middle) { low = middle } else { high = middle }
            }
            position = tokens[high - 1].start
        }
        var line = 1, column = 1
        for character in characters[0..<position] {
            if character.isNewline { line += 1; column = 1 } else { column += 1 }
        }
        return (line, column)
    }

    private static func reason(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            return (context.underlyingError as? NSError)?.localizedDescription ?? context.debugDescription
        }
        return "\(error)"
    }
}
