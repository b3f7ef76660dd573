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
        var bytes: [UInt8] = [UInt8(ascii: "[")]
        bytes.reserveCapacity(ring.count * 14 + 2)
        var index = 0
        while index + 1 < ring.count {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(UInt8(ascii: "["))
            appendCoordinate(ring[index], to: &bytes)
            bytes.append(UInt8(ascii: ","))
            appendCoordinate(ring[index + 1], to: &bytes)
            bytes.append(UInt8(ascii: "]"))
            index += 2
        }
        bytes.append(UInt8(ascii: "]"))
        output += String(decoding: bytes, as: UTF8.self)
    }

    /// A coordinate with at most 9 decimals (0.1 mm in degrees), trailing zeros dropped.
    static func appendCoordinate(_ value: Double, to bytes: inout [UInt8]) {
        guard value.isFinite, abs(value) < 1e9 else {
            bytes += Array(JSONValue.format(value).utf8)
            return
        }
        let scaled = Int64((value * 1e9).rounded())
        if scaled < 0 { bytes.append(UInt8(ascii: "-")) }
        let magnitude = scaled.magnitude
        bytes += Array(String(magnitude / 1_000_000_000).utf8)
        var fraction = magnitude % 1_000_000_000
        guard fraction > 0 else { return }
        var digits = 9
        while fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        bytes.append(UInt8(ascii: "."))
        var buffer = [UInt8](repeating: UInt8(ascii: "0"), count: digits)
        var position = digits - 1
        while fraction > 0 {
            buffer[position] = UInt8(ascii: "0") + UInt8(fraction % 10)
            fraction /= 10
            position -= 1
        }
        bytes += buffer
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
