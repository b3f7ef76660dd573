import ArgumentParser
import Foundation
import Storage

/// How commands print tables: aligned text for people, CSV and JSON for tools.
enum TableFormat: String, ExpressibleByArgument, CaseIterable {
    case table, csv, json

    func render(_ tables: [Report.Table]) -> String {
        switch self {
        case .table: tables.map(Self.text).joined(separator: "\n")
        case .csv: tables.map(Self.csv).joined(separator: "\n")
        case .json: Self.json(tables)
        }
    }

    private static func text(_ table: Report.Table) -> String {
        let rows = table.rows.map { row in row.map { ($0 ?? "").terminalSafe } }
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
            return s.contains(where: { ",\"\n".contains($0) }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        var out = "# \(table.title)\n" + table.columns.map(field).joined(separator: ",") + "\n"
        for row in table.rows { out += row.map(field).joined(separator: ",") + "\n" }
        return out
    }

    private static func json(_ tables: [Report.Table]) -> String {
        var object: [String: Any] = [:]
        for table in tables {
            object[table.title.replacingOccurrences(of: " ", with: "_")] = table.rows.map { row in
                Dictionary(uniqueKeysWithValues: zip(table.columns, row.map { $0 ?? NSNull() as Any }))
            }
        }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
