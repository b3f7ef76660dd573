import FleetModel
/// Writes GeoJSON geometry text (RFC 7946): WGS84 lon, lat; shells counter-clockwise, holes clockwise.
enum GeoJSONWriter {
    /// A Polygon (one part) or MultiPolygon from rings of interleaved lon, lat.
    static func geometry(polygons: [[[Double]]]) -> String {
        var output = JSONBytes(capacity: polygons.reduce(64) { $0 + $1.reduce(0) { $0 + $1.count * 14 + 4 } })
        write(polygons: polygons, to: &output)
        return output.string
    }

    static func write(polygons: [[[Double]]], to output: inout JSONBytes) {
        if polygons.count == 1 {
            output.append("{\"type\":\"Polygon\",\"coordinates\":")
            write(rings: polygons[0], to: &output)
        } else {
            output.append("{\"type\":\"MultiPolygon\",\"coordinates\":[")
            for (index, rings) in polygons.enumerated() {
                if index > 0 { output.append(byte: UInt8(ascii: ",")) }
                write(rings: rings, to: &output)
            }
            output.append(byte: UInt8(ascii: "]"))
        }
        output.append(byte: UInt8(ascii: "}"))
    }

    /// A Point, LineString or Polygon/MultiPolygon for a sample group's hull.
    static func geometry(hull xy: [Double], polygons: [[[Double]]]) -> String {
        if !polygons.isEmpty { return geometry(polygons: polygons) }
        var output = JSONBytes(capacity: xy.count * 14 + 40)
        if xy.count == 2 {
            output.append("{\"type\":\"Point\",\"coordinates\":[")
            output.append(number: xy[0])
            output.append(byte: UInt8(ascii: ","))
            output.append(number: xy[1])
            output.append("]}")
            return output.string
        }
        output.append("{\"type\":\"LineString\",\"coordinates\":")
        write(ring: xy, to: &output)
        output.append(byte: UInt8(ascii: "}"))
        return output.string
    }

    private static func write(rings: [[Double]], to output: inout JSONBytes) {
        output.append(byte: UInt8(ascii: "["))
        for (index, ring) in rings.enumerated() {
            if index > 0 { output.append(byte: UInt8(ascii: ",")) }
            let counterClockwise = signedArea(ring) > 0
            write(ring: ring, to: &output, reversed: counterClockwise != (index == 0))
        }
        output.append(byte: UInt8(ascii: "]"))
    }

    private static func write(ring: [Double], to output: inout JSONBytes, reversed: Bool = false) {
        output.append(byte: UInt8(ascii: "["))
        let count = ring.count / 2
        for step in 0..<count {
            let index = 2 * (reversed ? count - 1 - step : step)
            if step > 0 { output.append(byte: UInt8(ascii: ",")) }
            output.append(byte: UInt8(ascii: "["))
            output.append(coordinate: ring[index])
            output.append(byte: UInt8(ascii: ","))
            output.append(coordinate: ring[index + 1])
            output.append(byte: UInt8(ascii: "]"))
        }
        output.append(byte: UInt8(ascii: "]"))
    }

    /// Shoelace area of interleaved x, y: positive when counter-clockwise.
    static func signedArea(_ xy: [Double]) -> Double {
        let count = xy.count / 2
        guard count >= 3 else { return 0 }
        var sum = 0.0
        for index in 0..<count {
            let next = index + 1 == count ? 0 : index + 1
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
