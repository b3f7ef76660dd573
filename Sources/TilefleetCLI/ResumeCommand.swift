import ArgumentParser
import Coordinator
import Foundation
import Storage

/// `tilefleet resume [TASK]`: rebuild the queues from PostgreSQL after a broker loss.
struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Rebuild the work queues from PostgreSQL: poll items for tiles with a backend job, submit items for dispatched ones without.")

    @Argument(help: "A task id (default: every task).")
    var task: String?

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let configuration = try connection.fleetConfiguration()
        let database = try await CoordinatorSupport.database(connection)
        if let task {
            do {
                try await TaskStore(connection: database).requireTask(task)
            } catch let error as TaskStoreError {
                CoordinatorSupport.printError(error.description)
                await database.close()
                throw ExitCode(2)
            }
        }
        let (amqp, channel) = try await CoordinatorSupport.channel(connection, configuration: configuration)
        let outcome = try await Resumer(store: TaskStore(connection: database), publisher: WorkPublisher(channel: channel, topology: configuration.topology))
            .resume(task: task)
        print("republished \(outcome.polls) poll items, \(outcome.submits) submit items and \(outcome.cancels) cancel items (canceled tiles whose job had not stopped)")
        await amqp.close()
        await database.close()
    }
}
