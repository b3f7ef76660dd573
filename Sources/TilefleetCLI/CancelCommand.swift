import ArgumentParser
import Coordinator
import Foundation
import Messaging
import Storage

/// `tilefleet cancel TASK [--tiles …]`.
struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel a task or some tiles: pending tiles at once, live backend jobs through cancel items.",
        discussion: """
        A task canceled before is not canceled again: the command says so and sends nothing. \
        Unknown task or tile ids: exit status 2, nothing changed.
        """)

    @Argument(help: "The task id.")
    var task: String

    @Option(parsing: .upToNextOption, help: "Only these tiles (ids, space or comma separated).")
    var tiles: [String] = []

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let configuration = try connection.fleetConfiguration()
        let signing = try MessageSigning(configuration.signing)
        let database = try await CoordinatorSupport.database(connection)
        let tileList = CoordinatorSupport.tileList(tiles)
        do {
            let store = TaskStore(connection: database)
            try await store.requireTiles(tileList, of: task)
            if tileList == nil, let summary = try await store.summaries(task: task).first, summary.status == "canceled" {
                let stopping = summary.count("queued") + summary.count("submitted") + summary.count("running")
                print("task \(task) is already canceled: nothing sent"
                      + (stopping > 0 ? " (\(stopping) tiles are still stopping on the cancel items sent before)" : "")
                      + (summary.jobsMayRun > 0
                         ? "; \(summary.jobsMayRun) platform jobs may still run: their cancels are retried (report --table jobs_may_run)" : ""))
                await database.close()
                return
            }
        } catch let error as TaskStoreError {
            CoordinatorSupport.printError(error.description)
            await database.close()
            throw ExitCode(2)
        }
        let (amqp, channel) = try await CoordinatorSupport.channel(connection, configuration: configuration)
        let canceller = Canceller(store: TaskStore(connection: database), publisher: WorkPublisher(channel: channel, topology: configuration.topology,
                                                                                                  signing: signing))
        do {
            let outcome = try await canceller.cancel(task: task, tiles: tileList)
            print("canceled \(outcome.canceled) pending tiles; sent \(outcome.cancelItems) cancel items for dispatched tiles"
                  + (outcome.notYetSubmitted > 0
                     ? " (\(outcome.notYetSubmitted) of them have no backend job yet: workers find it by idempotency key once submitted)" : ""))
        } catch let error as TaskStoreError {
            CoordinatorSupport.printError(error.description)
            throw ExitCode(2)
        }
        await amqp.close()
        await database.close()
    }
}
