import Testing
@testable import Geo

/// WKT and JSON errors say where.
@Suite struct ErrorPositionTests {
    func message(_ text: String) -> String {
        do {
            _ = try AOIParser().parse(text)
            return "accepted"
        } catch {
            return "\(error)"
        }
    }

    @Test func wktErrorsGiveLineAndColumn() {
        #expect(message("POLYGON((1 2, 3 4, 5 x, 1 2))") == "feature 0: malformed input: WKT: ParseException: Expected number but encountered word: 'x' at line 1, column 22")
        #expect(message("POLYGON ((1 2,\n 3 4, 5 6, 1 2)") .hasSuffix("encountered end of stream at line 2, column 16"))
        #expect(message("MULTIPOLYGON (((1 2, 3 4, 5 6, 1 2)), ((1 2, 3 4, 5 6, 1 2) x)").contains("at line 1, column 61"))
        #expect(!message("POLYGON((1 2, 3 4, 5 x, 1 2))").contains("WKT: WKT:"))
    }

    @Test func geoJSONErrorsGiveLineAndColumn() {
        #expect(message("{\"type\":\"Polygon\",\n\"coordinates\": [[[1e400,2]]]}") == "malformed input: not valid JSON: the number 1e400 is out of range at line 2, column 19")
    }
}
