/// A UTM zone and hemisphere: 6° of longitude, projected with EPSG 326xx (north) or 327xx (south).
///
/// Regular zones: the Norway (32V) and Svalbard (31X–37X) exceptions of MGRS are applied by
/// ``MGRSGrid``, which projects its widened grid zones with these zones' projections.
struct UTMZone: Hashable, Comparable {
    /// 1…60.
    var number: Int
    var isNorth: Bool

    var epsg: Int { (isNorth ? 32600 : 32700) + number }
    var westLongitude: Double { Double(number - 1) * 6 - 180 }
    var eastLongitude: Double { westLongitude + 6 }
    var centralMeridian: Double { westLongitude + 3 }
    /// The latitude range UTM is defined for in this hemisphere.
    var latitudeRange: ClosedRange<Double> { isNorth ? 0...84 : -80...0 }
    var name: String { "\(number)\(isNorth ? "N" : "S")" }

    /// The PROJ pipeline from WGS84 longitude, latitude in degrees to this zone's easting, northing.
    var projPipeline: String {
        "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad +step +proj=utm +zone=\(number)"
            + (isNorth ? "" : " +south") + " +ellps=WGS84"
    }

    static let minimumLatitude = -80.0
    static let maximumLatitude = 84.0

    static func number(longitude: Double) -> Int {
        min(max(Int(((longitude + 180) / 6).rounded(.down)) + 1, 1), 60)
    }

    static func containing(longitude: Double, latitude: Double) -> UTMZone {
        UTMZone(number: number(longitude: longitude), isNorth: latitude >= 0)
    }

    static func < (lhs: UTMZone, rhs: UTMZone) -> Bool {
        (lhs.number, lhs.isNorth ? 1 : 0) < (rhs.number, rhs.isNorth ? 1 : 0)
    }
}

extension UTMZone {
    /// The zone of EPSG 32601…32660 / 32701…32760 (WGS84 / UTM), nil for other codes.
    init?(epsg: Int) {
        let number = epsg % 100
        guard (1...60).contains(number), epsg / 100 == 326 || epsg / 100 == 327 else { return nil }
        self.init(number: number, isNorth: epsg / 100 == 326)
    }
}
