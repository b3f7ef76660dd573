import FleetModel
/// An axis-aligned bounding box in a CRS given by its EPSG code (x = easting or longitude).
public struct BoundingBox: Sendable, Hashable, Codable {
    public var west: Double
    public var south: Double
    public var east: Double
    public var north: Double
    public var epsg: Int

    public init(west: Double, south: Double, east: Double, north: Double, epsg: Int) {
        self.west = west
        self.south = south
        self.east = east
        self.north = north
        self.epsg = epsg
    }

    /// The bounding box of interleaved x, y coordinates.
    init(coordinates: [[Double]], epsg: Int) {
        var west = Double.infinity, south = Double.infinity
        var east = -Double.infinity, north = -Double.infinity
        for xy in coordinates {
            var index = 0
            while index + 1 < xy.count {
                west = min(west, xy[index]); east = max(east, xy[index])
                south = min(south, xy[index + 1]); north = max(north, xy[index + 1])
                index += 2
            }
        }
        self.init(west: west, south: south, east: east, north: north, epsg: epsg)
    }

    /// The openEO-style bbox object `{west, south, east, north, crs}`.
    public var jsonValue: JSONValue {
        .object([
            "west": .number(west), "south": .number(south),
            "east": .number(east), "north": .number(north),
            "crs": .number(Double(epsg)),
        ])
    }
}
