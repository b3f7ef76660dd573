import ArgumentParser
import Backends
import Coordinator
import FleetConfig
import Foundation
import HTTP
import Storage

/// `tilefleet undeploy TASK`: removes the process a task deployed (`service.deploy`) from its OGC API –
/// Processes server (Part 2, `DELETE /processes/{id}`).
struct UndeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "undeploy",
        abstract: "Remove the process a task deployed (service.deploy) from its OGC API – Processes server.",
        discussion: """
            TASK is a stored task's id, or the path of a task spec file (nothing is read from the \
            database then). Exit status: 0 when the process was removed, 1 when the server could not be \
            reached, 2 when the task deploys no package, the process is not deployed, or the server \
            refuses (an immutable process).
            """
    )

    @Argument(help: "A task id, or a task spec file.")
    var task: String

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let configuration = try connection.fleetConfiguration()
        let spec: TaskSpec
        if FileManager.default.fileExists(atPath: task) {
            do {
                spec = try TaskSpecParser(configuration: configuration).load(path: task)
            } catch {
                CoordinatorSupport.printError("\(error)")
                throw ExitCode(2)
            }
        } else {
            let database = try await CoordinatorSupport.database(connection)
            do {
                spec = try await TaskStore(connection: database).spec(of: task)
                await database.close()
            } catch let error as TaskStoreError {
                await database.close()
                CoordinatorSupport.printError(error.description)
                throw ExitCode(2)
            }
        }
        guard let package = spec.deploy else {
            CoordinatorSupport.printError("task \(spec.id) deploys no package (its service has no deploy): nothing to undeploy")
            throw ExitCode(2)
        }
        let client = HTTPClient()
        defer { Task { await client.shutdown() } }
        do {
            try await TaskDeployer(backends: configuration.backends, client: client, logger: CoordinatorSupport.quietLogger).undeploy(spec)
        } catch let error as BackendError where !error.isTransient {
            CoordinatorSupport.printError("cannot undeploy \(package.processID) from \(spec.backend): \(error)")
            throw ExitCode(2)
        } catch {
            CoordinatorSupport.printError("cannot undeploy \(package.processID) from \(spec.backend): \(error)")
            throw ExitCode(1)
        }
        print("undeployed process \(package.processID) from \(spec.backend)")
    }
}
