import FleetModel
import Foundation
import Storage
import Testing
@testable import TilefleetCLI

/// Output for scripts: one rectangular CSV table, typed JSON with stable keys, NDJSON rows.
@Suite struct TableFormatTests {
    let progress = Report.Table.make(
        title: "task progress", name: "progress", columns: ["task_id", "tiles", "percent_done", "eta", "done", "updated"],
        kinds: [.text, .integer, .number, .interval, .boolean, .timestamp],
        rows: [["a,1", "12", "41.7", "1 day 02:03:04.5", "f", "2026-11-29 19:00:00.25+00"], ["b", "3", nil, nil, "t", "2026-11-29 19:00:00+05:30"]])
    let failures = Report.Table.make(title: "failures", name: "failures", columns: ["task_id", "pattern"], kinds: [.text, .text],
                                     rows: [["a", "say \"no\""]])

    @Test func csvIsOneRectangularTableWithAHeaderRow() throws {
        let text = TableFormat.csv.render([progress])
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.first == "task_id,tiles,percent_done,eta,done,updated")
        #expect(!text.contains("#"))
        #expect(lines[1] == "\"a,1\",12,41.7,93784.5,f,2026-11-29 19:00:00.25+00")
        // Every line has as many fields as the header (no field here holds a quoted comma but the first).
        #expect(lines.dropFirst(2).allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false).count == 6 })
        #expect(TableFormat.csv.render([failures]).contains("a,\"say \"\"no\"\"\""))
    }

    @Test func csvOfSeveralTablesNeedsAChoice() throws {
        #expect(throws: (any Error).self) { try TableFormat.csv.select([progress, failures], name: nil) }
        #expect(try TableFormat.csv.select([progress, failures], name: "failures").map(\.name) == ["failures"])
        #expect(throws: (any Error).self) { try TableFormat.json.select([progress, failures], name: "progres") }
        #expect(try TableFormat.json.select([progress, failures], name: nil).count == 2)
    }

    @Test func jsonHasTypedValuesUnderStableKeys() throws {
        let text = TableFormat.json.render([progress, failures])
        let object = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        guard case .object(let members) = object else { Issue.record("not an object"); return }
        #expect(Set(members.keys) == ["progress", "failures"])
        let first = try #require(object["progress"]?.arrayValue?.first)
        #expect(first["tiles"] == .number(12))
        #expect(first["percent_done"] == .number(41.7))
        #expect(first["eta"] == .number(93_784.5))
        #expect(first["done"] == .bool(false))
        #expect(first["updated"] == .string("2026-11-29T19:00:00.25Z"))
        let second = try #require(object["progress"]?.arrayValue?.last)
        #expect(second["percent_done"] == .null)
        #expect(second["updated"] == .string("2026-11-29T19:00:00+05:30"))
    }

    @Test func ndjsonIsOneTypedRowPerLine() throws {
        let lines = TableFormat.ndjson.render([progress, failures]).split(separator: "\n")
        #expect(lines.count == 3)
        let rows = try lines.map { try JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) }
        #expect(rows.map { $0["table"] } == [.string("progress"), .string("progress"), .string("failures")])
        #expect(rows[0]["tiles"] == .number(12))
    }

    @Test func intervalsAndTimestampsInPostgreSQLText() {
        #expect(TableFormat.seconds(interval: "00:00:05") == 5)
        #expect(TableFormat.seconds(interval: "-00:01:00") == -60)
        #expect(TableFormat.seconds(interval: "3 days") == 259_200)
        #expect(TableFormat.seconds(interval: "1 day 01:00:00") == 90_000)
        #expect(TableFormat.seconds(interval: "soon") == nil)
        #expect(TableFormat.iso8601(timestamp: "2026-11-29 19:00:00+00") == "2026-11-29T19:00:00Z")
        #expect(TableFormat.iso8601(timestamp: "2026-11-29 19:00:00-03") == "2026-11-29T19:00:00-03:00")
    }

    @Test func statusTableIsTyped() throws {
        let summary = TaskSummary(id: "t", title: "T", backend: "sim", status: "active", priority: 2, createdAt: Date(), counts: ["pending": 3, "finished": 1])
        let table = StatusCommand.table([summary])
        let row = try #require(try JSONDecoder().decode(JSONValue.self, from: Data(TableFormat.json.render([table]).utf8))["tasks"]?.arrayValue?.first)
        #expect(row["priority"] == .number(2))
        #expect(row["pending"] == .number(3))
        #expect(row["done_%"] == .number(25))
        #expect(row["eta"] == .null)
        #expect(row["title"] == .string("T"))
        #expect(row["in_trouble"] == .number(0) && row["trouble"] == .null && row["trouble_since"] == .null && row["trouble_tries"] == .null)
        #expect(row["jobs_may_run"] == .number(0))
    }

    @Test func statusTableShowsTroubleOnOneLineAndTyped() throws {
        var summary = TaskSummary(id: "t", title: "T", backend: "sim", status: "active", priority: 0, createdAt: Date(), counts: ["queued": 5])
        summary.trouble = TaskSummary.Trouble(tiles: 4, text: "submit failed: 503\nService Unavailable", since: Date(timeIntervalSince1970: 1_780_000_000), tries: 6)
        let table = StatusCommand.table([summary])
        let row = try #require(try JSONDecoder().decode(JSONValue.self, from: Data(TableFormat.json.render([table]).utf8))["tasks"]?.arrayValue?.first)
        #expect(row["in_trouble"] == .number(4))
        #expect(row["trouble"] == .string("submit failed: 503\nService Unavailable"))
        #expect(row["trouble_since"] == .string("2026-05-28T20:26:40Z"))
        #expect(row["trouble_tries"] == .number(6))
        let text = TableFormat.table.render([table])
        #expect(text.split(separator: "\n").count == 4, "title, header, rule and one row: \(text)")
        #expect(text.contains("submit failed: 503 Service Unavailable"))
    }
}
