import FleetModel
import Foundation
import Testing

@Suite struct JSONValueCodingTests {
    private func decode(_ text: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    @Test func everyKindDecodesAsItself() throws {
        let value = try decode("""
            {"s": "text", "n": 1.5, "i": -3, "big": 1e300, "t": true, "f": false, "z": null,
             "a": [1, "x", false, null, [], {}], "o": {"inner": {"deep": ["π"]}}, "empty": {}, "ä": "key"}
            """)
        #expect(value == .object([
            "s": .string("text"), "n": .number(1.5), "i": .number(-3), "big": .number(1e300),
            "t": .bool(true), "f": .bool(false), "z": .null,
            "a": .array([.number(1), .string("x"), .bool(false), .null, .array([]), .object([:])]),
            "o": .object(["inner": .object(["deep": .array([.string("π")])])]),
            "empty": .object([:]), "ä": .string("key"),
        ]))
    }

    @Test func scalarsAtTheTopAreNotMistakenForEachOther() throws {
        #expect(try decode("true") == .bool(true))
        #expect(try decode("1") == .number(1))
        #expect(try decode("\"1\"") == .string("1"))
        #expect(try decode("\"true\"") == .string("true"))
        #expect(try decode("null") == .null)
        #expect(try decode("[]") == .array([]))
        #expect(try decode("{}") == .object([:]))
    }

    @Test func encodingThenDecodingGivesTheSameValue() throws {
        let value: JSONValue = .object([
            "process_graph": .object(["load": .object(["process_id": .string("load_collection"),
                                                       "arguments": .object(["id": .string("S2"), "bands": .array([.string("B04")]),
                                                                             "cloud": .number(0.2), "strict": .bool(false), "none": .null]),
                                                       "result": .bool(true)])]),
        ])
        let data = try JSONEncoder().encode(value)
        #expect(try JSONDecoder().decode(JSONValue.self, from: data) == value)
    }

    @Test func invalidJSONStillFails() {
        #expect(throws: (any Error).self) { try decode("{\"a\": }") }
        #expect(throws: (any Error).self) { try decode("[1, 2") }
    }
}
