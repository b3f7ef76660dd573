import ArgumentParser
import Coordinator
import Foundation
import Storage

/// `tilefleet list`: every task, newest first.
struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List tasks with their tile counts, newest first.")

    @Option(help: "table, csv, json or ndjson (see docs/tasks.md, Output for scripts).")
    var format: TableFormat = .table

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let database = try await CoordinatorSupport.database(connection)
        defer { Task { await database.close() } }
        let summaries = try await TaskStore(connection: database).summaries()
        print(format.render([StatusCommand.table(summaries)]), terminator: "")
    }
}
