import ArgumentParser
import Postgres
import Storage

/// `tilefleet report`: progress, backends, failures, slowest tiles, tiles in trouble and jobs that
/// may still run after their cancel.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Report on a task (or all tasks) from the database's reporting views."
    )

    @Argument(help: "Task id (default: every task).")
    var task: String?

    @Option(help: "Output format: table, csv (one table: needs --table), json or ndjson.")
    var format: TableFormat = .table

    @Option(help: "Only this table: progress, backends, failures, slowest_tiles, trouble or jobs_may_run.")
    var table: String?

    func validate() throws {
        if let table, !Report.tableNames.contains(table) {
            throw ValidationError("--table '\(table)': no such table (the tables are \(Report.tableNames.joined(separator: ", ")))")
        }
        if format == .csv, table == nil {
            throw ValidationError("--format csv prints one table: pick one with --table (\(Report.tableNames.joined(separator: ", ")))")
        }
    }

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let db = try await PostgresConnection.connect(to: connection.resolvedDatabaseURL())
        defer { Task { await db.close() } }
        if let task {
            do {
                try await TaskStore(connection: db).requireTask(task)
            } catch let error as TaskStoreError {
                CoordinatorSupport.printError(error.description)
                throw ExitCode(2)
            }
        }
        let tables = try format.select(try await Report(connection: db).tables(task: task), name: table)
        print(format.render(tables), terminator: "")
    }
}
