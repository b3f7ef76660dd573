import ArgumentParser
import Coordinator
import Foundation
import Storage

/// `tilefleet budget TASK CREDITS`: sets a task's credit cap; a task paused for its budget resumes.
struct BudgetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "budget",
        abstract: "Set the most credits a task may spend (raising it resumes a task paused for its budget).",
        discussion: """
            The coordinator starts no new tile of the task once the credits spent plus the expected cost of the
            tiles in flight would pass the budget (see docs/tasks.md, Budget). The new budget counts from the next
            dispatch pass, which this command wakes.
            """)

    @Argument(help: "The task id.")
    var task: String

    @Argument(help: "The budget in the platform's credits (a positive number).")
    var credits: String

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        guard let budget = Double(credits), budget.isFinite, budget > 0 else {
            CoordinatorSupport.printError("tilefleet budget: CREDITS must be a positive number of credits, got '\(credits)'")
            throw ExitCode(2)
        }
        let database = try await CoordinatorSupport.database(connection)
        defer { Task { await database.close() } }
        let store = TaskStore(connection: database)
        do {
            try await store.setBudget(task: task, to: budget)
        } catch let error as TaskStoreError {
            CoordinatorSupport.printError(error.description)
            throw ExitCode(2)
        }
        let summary = try await store.summaries(task: task).first
        let spent = summary?.budget.map { StatusCommand.credits($0.spent) } ?? "0"
        let state = summary?.budgetState == .paused ? "; still paused: the credits spent and expected in flight reach it" : ""
        print("task \(task): budget \(StatusCommand.credits(budget)) credits, \(spent) spent\(state)")
    }
}
