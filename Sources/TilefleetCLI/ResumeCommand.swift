import ArgumentParser
import Coordinator
import Foundation
import Messaging
import Storage

/// `tilefleet resume [TASK]`: the coordinator's recovery pass, now.
struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Republish the tiles whose work items were lost (the coordinator does this on its own every recovery.heal_interval).",
        discussion: """
            Declares the broker topology, then republishes every tile in flight that has been silent for longer than
            recovery.lease plus its backend's longest submit plus recovery.clock_skew: a poll item when its backend job
            is known, else a submit that looks the job up by idempotency key first. Safe to run any number of times,
            from any host, while the fleet runs: it never starts a second job. Tiles still within their lease are left
            alone; run it again later, or let the coordinator do it.
            """)

    @Argument(help: "A task id (default: every task).")
    var task: String?

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let configuration = try connection.fleetConfiguration()
        let signing = try MessageSigning(configuration.signing)
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
        let dispatcher = Dispatcher(connection: database, channel: channel, topology: configuration.topology, signing: signing,
                                    lease: configuration.recovery.lease, logger: CoordinatorSupport.quietLogger)
        let outcome = try await Resumer(dispatcher: dispatcher, silence: configuration.recoverySilence).resume(task: task)
        print("republished \(outcome.polls) poll items and \(outcome.submits) submit items (tiles silent beyond their lease), and sent \(outcome.cancels) cancel items again (jobs still running long after their cancel)")
        await amqp.close()
        await database.close()
    }
}
