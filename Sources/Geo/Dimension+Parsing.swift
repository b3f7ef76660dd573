import FleetModel
import Foundation

extension Dimension {
    /// Parses the command-line spelling `name=v1,v2,…`: values that read as JSON numbers or
    /// `true` / `false` / `null` keep that type, the rest are strings.
    ///
    /// Throws ``GeoValidationError`` with `.invalidDimension` naming the problem.
    public init(parsing spec: String) throws {
        func fail(_ detail: String) -> GeoValidationError {
            GeoValidationError(.invalidDimension("'\(spec)': \(detail)"))
        }
        guard let equals = spec.firstIndex(of: "=") else { throw fail("expected name=value1,value2,…") }
        let name = spec[..<equals].trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw fail("the name before '=' is empty") }
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." }) else {
            throw fail("the name may hold only letters, digits, '_', '-' and '.'")
        }
        let items = spec[spec.index(after: equals)...].split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard !items.isEmpty, !(items.count == 1 && items[0].isEmpty) else { throw fail("no values after '='") }
        if let empty = items.firstIndex(where: \.isEmpty) { throw fail("value \(empty + 1) is empty") }
        var values: [JSONValue] = []
        for item in items {
            let value = Self.value(item)
            if values.contains(value) { throw fail("value '\(item)' is listed twice") }
            values.append(value)
        }
        self.init(name: name, values: values)
    }

    private static func value(_ text: String) -> JSONValue {
        switch text {
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "null": return .null
        default:
            let numeric = text.first.map { $0.isNumber || $0 == "-" } ?? false
            if numeric, let number = Double(text), number.isFinite { return .number(number) }
            return .string(text)
        }
    }
}
