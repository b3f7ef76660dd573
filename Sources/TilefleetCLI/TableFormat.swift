import ArgumentParser
import FleetModel
import Foundation
import Storage

/// How commands print tables: aligned text for people; CSV, JSON and NDJSON for tools.
///
/// - `csv`: exactly one table (`report --table NAME` picks it), a header row, then one line per
///   row; fields quoted as RFC 4180 needs.
/// - `json`: an object with one member per table under its stable name (`tasks`, `progress`,
///   `backends`, …), each an array of row objects; integers and decimals as numbers, booleans as
///   booleans, timestamps as ISO 8601, durations as seconds, NULL as null.
/// - `ndjson`: one row object per line, the same typed values plus `"table"`: a stream.
enum TableFormat: String, ExpressibleByArgument, CaseIterable {
    case table, csv, json, ndjson

    func render(_ tables: [Report.Table]) -> String {
        switch self {
        case .table: tables.map(Self.text).joined(separator: "\n")
        case .csv: tables.map(Self.csv).joined(separator: "\n")
        case .json: Self.json(tables)
        case .ndjson: Self.ndjson(tables)
        }
    }

    /// `text` on one line: line breaks and tabs (a platform's multi-line error) become single
    /// spaces; other control characters are left for ``Swift/String/terminalSafe`` to escape.
    static func oneLine(_ text: String) -> String {
        let breaks: Set<Unicode.Scalar> = ["\n", "\r", "\t", "\u{0B}", "\u{0C}", "\u{85}", "\u{2028}", "\u{2029}"]
        guard text.unicodeScalars.contains(where: breaks.contains) else { return text }
        return text.unicodeScalars.split(whereSeparator: breaks.contains)
            .map { String(String.UnicodeScalarView($0)).trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: " ")
    }

    /// The tables to print: the one called `name` if given, all otherwise; CSV holds only one.
    func select(_ tables: [Report.Table], name: String?) throws -> [Report.Table] {
        let names = tables.map(\.name).joined(separator: ", ")
        if let name {
            guard let table = tables.first(where: { $0.name == name }) else {
                throw ValidationError("--table '\(name)': no such table (the tables are \(names))")
            }
            return [table]
        }
        if self == .csv, tables.count > 1 {
            throw ValidationError("--format csv prints one table: pick one with --table (\(names))")
        }
        return tables
    }

    private static func text(_ table: Report.Table) -> String {
        let rows = table.rows.map { row in
            row.enumerated().map { index, cell in
                guard let cell else { return "" }
                if table.kinds[index] == .seconds, let seconds = Double(cell) { return WatchProgress.duration(seconds) }
                return oneLine(cell).terminalSafe
            }
        }
        var widths = table.columns.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        var out = "\(table.title.terminalSafe)\n" + line(table.columns) + "\n"
        out += line(widths.map { String(repeating: "-", count: $0) }) + "\n"
        if rows.isEmpty { out += "(none)\n" }
        for row in rows { out += line(row) + "\n" }
        return out
    }

    private static func csv(_ table: Report.Table) -> String {
        func field(_ s: String?) -> String {
            guard let s else { return "" }
            return s.contains(where: { ",\"\n\r".contains($0) }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        var out = table.columns.map(field).joined(separator: ",") + "\n"
        for row in table.rows {
            let cells = row.enumerated().map { index, cell in
                cell.map { table.kinds[index] == .interval ? Self.seconds(interval: $0).map(JSONValue.format) ?? $0 : $0 }
            }
            out += cells.map(field).joined(separator: ",") + "\n"
        }
        return out
    }

    private static func json(_ tables: [Report.Table]) -> String {
        let object = JSONValue.object(Dictionary(uniqueKeysWithValues: tables.map { table in
            (table.name, JSONValue.array(table.rows.map { .object(values(table, $0)) }))
        }))
        return object.canonicalJSON.prettyJSON + "\n"
    }

    private static func ndjson(_ tables: [Report.Table]) -> String {
        var out = ""
        for table in tables {
            for row in table.rows {
                var members = values(table, row)
                members["table"] = .string(table.name)
                out += JSONValue.object(members).canonicalJSON + "\n"
            }
        }
        return out
    }

    /// A row as typed JSON members.
    static func values(_ table: Report.Table, _ row: [String?]) -> [String: JSONValue] {
        var members: [String: JSONValue] = [:]
        for (index, column) in table.columns.enumerated() {
            members[column] = row[index].map { typed($0, table.kinds[index]) } ?? .null
        }
        return members
    }

    /// One cell as JSON; text that does not read as its kind stays a string.
    static func typed(_ text: String, _ kind: Report.ColumnKind) -> JSONValue {
        switch kind {
        case .text: return .string(text)
        case .integer, .number, .seconds:
            guard let number = Double(text), number.isFinite else { return .string(text) }
            return .number(number)
        case .boolean: return text == "t" || text == "true" ? .bool(true) : text == "f" || text == "false" ? .bool(false) : .string(text)
        case .timestamp: return .string(iso8601(timestamp: text) ?? text)
        case .interval: return seconds(interval: text).map(JSONValue.number) ?? .string(text)
        }
    }

    /// PostgreSQL's `2026-11-29 19:00:00.5+00` as ISO 8601 `2026-11-29T19:00:00.5Z`.
    static func iso8601(timestamp text: String) -> String? {
        guard text.count >= 19, text[text.index(text.startIndex, offsetBy: 10)] == " " else { return nil }
        var iso = text.replacingCharacters(in: text.index(text.startIndex, offsetBy: 10)...text.index(text.startIndex, offsetBy: 10), with: "T")
        if let sign = iso.lastIndex(where: { $0 == "+" || $0 == "-" }), sign > iso.index(iso.startIndex, offsetBy: 18) {
            let offset = String(iso[sign...])
            iso = String(iso[..<sign]) + (offset == "+00" || offset == "-00" ? "Z" : offset.count == 3 ? offset + ":00" : offset)
        }
        return iso
    }

    /// PostgreSQL's interval text (`1 day 02:03:04.5`, `-00:00:05`, `3 days`) in seconds.
    static func seconds(interval text: String) -> Double? {
        var total = 0.0
        var parts = text.split(separator: " ").map(String.init)
        let units: [String: Double] = ["year": 365.25 * 86400, "mon": 30 * 86400, "day": 86400]
        while parts.count >= 2, let value = Double(parts[0]) {
            let unit = parts[1].hasSuffix("s") ? String(parts[1].dropLast()) : parts[1]
            guard let factor = units[unit] else { return nil }
            total += value * factor
            parts.removeFirst(2)
        }
        if let clock = parts.first {
            guard parts.count == 1 else { return nil }
            let negative = clock.hasPrefix("-")
            let fields = clock.drop { $0 == "-" || $0 == "+" }.split(separator: ":").map { Double($0) }
            guard fields.count == 3, let h = fields[0], let m = fields[1], let s = fields[2] else { return nil }
            total += (negative ? -1 : 1) * (h * 3600 + m * 60 + s)
        }
        return total
    }
}
