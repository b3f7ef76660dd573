/// Writes GeoJSON geometry text (RFC 7946): WGS84 lon, lat; shells counter-clockwise, holes clockwise.
enum GeoJSONWriter {
    /// A Polygon (one part) or MultiPolygon from rings of interleaved lon, lat.
    static func geometry(polygons: [[[Double]]]) -> String {
        var output = ""
        if polygons.count == 1 {
            output += "{\"type\":\"Polygon\",\"coordinates\":"
            write(rings: polygons[0], to: &output)
        } else {
            output += "{\"type\":\"MultiPolygon\",\"coordinates\":["
            for (index, rings) in polygons.enumerated() {
                if index > 0 { output += "," }
                write(rings: rings, to: &output)
            }
            output += "]"
        }
        output += "}"
        return output
    }

    /// A Point, LineString or Polygon/MultiPolygon for a sample group's hull.
    static func geometry(hull xy: [Double], polygons: [[[Double]]]) -> String {
        if !polygons.isEmpty { return geometry(polygons: polygons) }
        if xy.count == 2 {
            return "{\"type\":\"Point\",\"coordinates\":[\(JSONValue.format(xy[0])),\(JSONValue.format(xy[1]))]}"
        }
        var output = "{\"type\":\"LineString\",\"coordinates\":"
        write(ring: xy, to: &output)
        return output + "}"
    }

    private static func write(rings: [[Double]], to output: inout String) {
        output += "["
        for (index, ring) in rings.enumerated() {
            if index > 0 { output += "," }
            let counterClockwise = signedArea(ring) > 0
            let wantCounterClockwise = index == 0
            write(ring: counterClockwise == wantCounterClockwise ? ring : reversed(ring), to: &output)
        }
        output += "]"
    }

    private static func write(ring: [Double], to output: inout String) {
        output += "["
        var index = 0
        while index + 1 < ring.count {
            if index > 0 { output += "," }
            output += "["
            output += JSONValue.format(ring[index])
            output += ","
            output += JSONValue.format(ring[index + 1])
            output += "]"
            index += 2
        }
        output += "]"
    }

    /// Shoelace area of interleaved x, y: positive when counter-clockwise.
    static func signedArea(_ xy: [Double]) -> Double {
        let count = xy.count / 2
        guard count >= 3 else { return 0 }
        var sum = 0.0
        for index in 0..<count {
            let next = (index + 1) % count
            sum += xy[2 * index] * xy[2 * next + 1] - xy[2 * next] * xy[2 * index + 1]
        }
        return sum / 2
    }

    static func reversed(_ xy: [Double]) -> [Double] {
        var result = [Double]()
        result.reserveCapacity(xy.count)
        var index = xy.count - 2
        while index >= 0 {
            result.append(xy[index])
            result.append(xy[index + 1])
            index -= 2
        }
        return result
    }
}
