/// Helpers on rings stored as interleaved x, y coordinates.
enum PlanarRing {
    /// Inserts evenly spaced points so no segment is longer than `maxSegment`.
    static func densify(_ xy: [Double], maxSegment: Double) -> [Double] {
        guard maxSegment > 0, xy.count >= 4 else { return xy }
        var result: [Double] = []
        result.reserveCapacity(xy.count)
        var index = 0
        while index + 3 < xy.count {
            let x0 = xy[index], y0 = xy[index + 1], x1 = xy[index + 2], y1 = xy[index + 3]
            result.append(x0)
            result.append(y0)
            let length = ((x1 - x0) * (x1 - x0) + (y1 - y0) * (y1 - y0)).squareRoot()
            let pieces = Int((length / maxSegment).rounded(.up))
            if pieces > 1 {
                for step in 1..<pieces {
                    let t = Double(step) / Double(pieces)
                    result.append(x0 + (x1 - x0) * t)
                    result.append(y0 + (y1 - y0) * t)
                }
            }
            index += 2
        }
        result.append(xy[xy.count - 2])
        result.append(xy[xy.count - 1])
        return result
    }

    /// Brings longitudes within 180° of `reference` and clamps them to ±180° (PROJ may return
    /// -180 for a point on the antimeridian of zone 60). Without a reference, makes the ring
    /// continuous instead.
    static func unwrapLongitudes(_ xy: inout [Double], around reference: Double?) {
        var index = 0
        var previous = reference ?? (xy.first ?? 0)
        while index < xy.count {
            var longitude = xy[index]
            while longitude - previous > 180 { longitude -= 360 }
            while longitude - previous < -180 { longitude += 360 }
            if reference != nil {
                longitude = min(max(longitude, -180), 180)
            } else {
                previous = longitude
            }
            xy[index] = longitude
            index += 2
        }
    }
}
