import ArgumentParser
import Coordinator
import Foundation
import Storage

/// `tilefleet retry TASK [--failed | --tiles …]`.
struct RetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Start new attempts for failed or canceled tiles; the coordinator dispatches them.")

    @Argument(help: "The task id.")
    var task: String

    @Flag(help: "Only failed tiles (default: failed and canceled).")
    var failed = false

    @Option(parsing: .upToNextOption, help: "Only these tiles (ids, space or comma separated).")
    var tiles: [String] = []

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let database = try await CoordinatorSupport.database(connection)
        do {
            let count = try await TaskStore(connection: database).startNextAttempt(task: task, tiles: CoordinatorSupport.tileList(tiles), failedOnly: failed)
            try await database.notify(channel: "tilefleet_tiles", payload: task)
            print("\(count) tiles start a new attempt")
        } catch let error as TaskStoreError {
            CoordinatorSupport.printError(error.description)
            throw ExitCode(2)
        }
        await database.close()
    }
}
