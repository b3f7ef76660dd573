import ArgumentParser
import Coordinator
import FleetConfig
import Foundation
import Postgres
import Storage

/// `tilefleet status [TASK]`: tile counts per status, then each backend's health and effective limit.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show tasks (or one task) with tile counts per status.")

    @Argument(help: "A task id (default: every task).")
    var task: String?

    @Option(help: "table, csv, json or ndjson (see docs/tasks.md, Output for scripts).")
    var format: TableFormat = .table

    @OptionGroup var connection: ConnectionOptions

    static let statuses = ["pending", "queued", "submitted", "running", "finished", "failed", "canceled"]

    func run() async throws {
        let database = try await CoordinatorSupport.database(connection)
        defer { Task { await database.close() } }
        let summaries: [TaskSummary]
        do {
            summaries = try await TaskStore(connection: database).summaries(task: task)
        } catch let error as TaskStoreError {
            CoordinatorSupport.printError(error.description)
            throw ExitCode(2)
        }
        let backends = try await Self.backendRows(connection: connection, database: database)
        // CSV holds one table: the tasks, as before.
        print(format.render(format == .csv ? [Self.table(summaries)] : [Self.table(summaries), Self.backendsTable(backends)]), terminator: "")
    }

    /// One configured backend as `status` shows it.
    struct BackendRow: Sendable, Hashable {
        var name: String
        var maxActive: Int
        var inFlight: Int
        /// Of those, parked: their start refused for the platform's concurrency limit.
        var parked: Int
        var record: BackendHealthStore.Record?
    }

    /// The configured backends with their stored health and tiles in flight; none when this
    /// configuration cannot be read (said on stderr).
    static func backendRows(connection: ConnectionOptions, database: PostgresConnection) async throws -> [BackendRow] {
        let configured: [BackendConfiguration]
        do {
            configured = try connection.fleetConfiguration().backends.backends
        } catch {
            CoordinatorSupport.printError("backends not shown: \(error)")
            return []
        }
        let records = try await BackendHealthStore(connection: database).records()
        var rows: [BackendRow] = []
        for backend in configured {
            rows.append(BackendRow(name: backend.name, maxActive: backend.maxActive,
                                   inFlight: try await TaskStore(connection: database).activeCount(backend: backend.name),
                                   parked: try await TaskStore(connection: database).parkedCount(backend: backend.name),
                                   record: records[backend.name]))
        }
        return rows
    }

    /// The backends table: `health` is `healthy` or `unhealthy` with its `reason` and `since`;
    /// `parked` the tiles in flight whose start the platform refused for its concurrency limit (they
    /// wait for the dispatcher); `effective_limit` the concurrency the platform lets the fleet use
    /// (at most `max_active`).
    static func backendsTable(_ rows: [BackendRow]) -> Report.Table {
        Report.Table.make(
            title: "backends", name: "backends",
            columns: ["backend", "health", "in_flight", "parked", "effective_limit", "max_active", "reason", "since"],
            kinds: [.text, .text, .integer, .integer, .integer, .integer, .text, .timestamp],
            rows: rows.map { row in
                [row.name, row.record?.healthy == false ? "unhealthy" : "healthy", String(row.inFlight), String(row.parked),
                 String(min(row.record?.effectiveLimit ?? row.maxActive, row.maxActive)), String(row.maxActive),
                 row.record?.healthy == false ? row.record?.reason : nil, row.record.map { timestamp($0.since) }]
            })
    }

    /// The tasks table; `in_trouble` … `trouble_tries` say how many tiles wait on trouble and the
    /// trouble most of them report, since when and after how many tries (null when no tile waits);
    /// `jobs_may_run` counts platform jobs whose cancel was sent but whose end was not seen;
    /// `credits` what the platform reported the task's jobs cost, `budget` its cap. A task whose
    /// budget holds back its pending tiles shows as `paused`.
    static func table(_ summaries: [TaskSummary]) -> Report.Table {
        Report.Table.make(
            title: "tasks", name: "tasks",
            columns: ["task", "backend", "status", "priority", "tiles"] + statuses
                + ["done_%", "tiles/h", "eta", "title", "in_trouble", "trouble", "trouble_since", "trouble_tries", "jobs_may_run",
                   "credits", "budget"],
            kinds: [.text, .text, .text, .integer, .integer] + statuses.map { _ in .integer }
                + [.number, .integer, .seconds, .text, .integer, .text, .timestamp, .integer, .integer, .number, .number],
            rows: summaries.map { summary in
                [summary.id, summary.backend, displayStatus(summary), String(summary.priority), String(summary.total)]
                    + statuses.map { String(summary.count($0)) }
                    + [summary.total == 0 ? "0" : String(format: "%.1f", 100 * Double(summary.terminal) / Double(summary.total)),
                       String(summary.tilesPerHour), summary.etaSeconds.map { String(Int($0.rounded())) }, summary.title,
                       String(summary.trouble?.tiles ?? 0), summary.trouble?.text, summary.trouble.map { timestamp($0.since) },
                       summary.trouble?.tries.map(String.init), String(summary.jobsMayRun),
                       summary.credits.map(credits), summary.budget.map { credits($0.budget) }]
            })
    }

    /// `done`, `paused` (its budget holds it back), `sampling` (only its estimate sample runs), or
    /// the stored task status.
    static func displayStatus(_ summary: TaskSummary) -> String {
        if summary.isDone { return "done" }
        if summary.budgetState == .paused { return "paused" }
        return summary.sampling && summary.status == "active" ? "sampling" : summary.status
    }

    /// Credits with at most three decimals, as text.
    static func credits(_ value: Double) -> String {
        let text = String(format: "%.3f", value)
        return text.contains(".") ? String(text.reversed().drop { $0 == "0" }.reversed()).trimmingCharacters(in: CharacterSet(charactersIn: ".")) : text
    }

    /// A time as PostgreSQL writes a `timestamptz` in UTC (`2026-11-29 19:00:00+00`), as the report tables have it.
    static func timestamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d+00", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
    }
}
