import FleetModel
import Foundation
import Testing

/// JSON errors give the line, the column and what was found.
@Suite struct JSONSyntaxTests {
    @Test(arguments: [
        ("{\"type\":\"Polygon\",\n\"coordinates\": [[[1,2],[3,4]],}", "expected a value, found '}' at line 2, column 31"),
        ("{\"a\": [1e400]}", "the number 1e400 is out of range at line 1, column 8"),
        ("{\"a\": 1,}", "expected a \"key\", found '}' at line 1, column 9"),
        ("{\"a\" 1}", "expected ':' after the key, found '1' at line 1, column 6"),
        ("[1, 2", "expected ',' or ']', found end of input at line 1, column 6"),
        ("{\"a\": \"open}", "a string is not closed at line 1, column 7"),
        ("{\"a\": 01}", "a number may not start with 0 at line 1, column 7"),
        ("{\"ä\": tru}", "expected a value, found 't' at line 1, column 7"),
        ("{} x", "unexpected 'x' after the JSON value at line 1, column 4"),
        ("{\"a\": \"\\q\"}", "unknown escape \\q at line 1, column 9"),
    ])
    func problemsAreLocated(text: String, expected: String) {
        #expect(JSONSyntax.problem(in: text)?.description == expected)
    }

    @Test func validJSONHasNoProblemAndAgreesWithFoundation() throws {
        for text in ["{}", "[]", "  {\"a\": [1, -2.5e3, true, false, null, \"x\\u00e9\\n\"]}  ", "0", "-0.5", "\"s\""] {
            #expect(JSONSyntax.problem(in: text) == nil, "\(text)")
            _ = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        }
    }
}
