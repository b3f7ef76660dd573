import ArgumentParser
import Coordinator
import FleetModel
import Foundation
import Storage

/// `tilefleet estimate TASK`: projects a sampled task's credits and wall time from its finished
/// sample tiles (``RunEstimate``), and with `--run` releases the rest of its tiles.
struct EstimateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "estimate",
        abstract: "Project a task's credits and wall time from its sample (submitted with --sample), then --run the rest.",
        discussion: """
            `tilefleet submit SPEC --sample 2%` stores every tile but dispatches only a sample spread over the time \
            windows and tile sizes. Once the sample has run, this command projects the whole task's credits and wall \
            time at the backend's max_active, each with a 90% interval, and the credits per km². The sample's results \
            are the tiles' results: --run releases the other tiles, and the sample is not run again. See \
            docs/tasks.md, Estimate.
            """)

    @Argument(help: "The task id.")
    var task: String

    @Flag(help: "Wait until every sample tile has ended before projecting.")
    var wait = false

    @Flag(name: .customLong("run"), help: "After projecting, release the rest of the task's tiles to the coordinator.")
    var releaseRest = false

    @Flag(help: "Print the projection as JSON.")
    var json = false

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let configuration = try connection.fleetConfiguration()
        let database = try await CoordinatorSupport.database(connection)
        defer { Task { await database.close() } }
        let store = TaskStore(connection: database)
        var figures: TaskStore.SampleFigures
        do {
            figures = try await store.sampleFigures(task: task)
        } catch let error as TaskStoreError {
            CoordinatorSupport.printError(error.description)
            throw ExitCode(2)
        }
        guard !figures.sample.isEmpty else {
            CoordinatorSupport.printError("task \(task) has no estimate sample: submit its spec with --sample (e.g. --sample 2%)")
            throw ExitCode(2)
        }
        var lastReport = ContinuousClock.now
        while wait, figures.sample.contains(where: { !$0.status.isTerminal }) {
            if ContinuousClock.now - lastReport >= .seconds(30) {
                let ended = figures.sample.filter(\.status.isTerminal).count
                CoordinatorSupport.printError("waiting for the sample: \(ended) of \(figures.sample.count) tiles ended")
                lastReport = ContinuousClock.now
            }
            try await Task.sleep(for: .seconds(2))
            figures = try await store.sampleFigures(task: task)
        }
        let slots = configuration.maxActive(backend: figures.backend) ?? 1
        let finished = figures.sample.filter { $0.status == .finished }
        let estimate = RunEstimate(sample: finished.map { RunEstimate.Observation(size: $0.size, credits: $0.credits, turnaroundSeconds: $0.turnaroundSeconds) },
                                   tiles: figures.tiles, totalSize: figures.totalSize, slots: slots)
        let spent = figures.sample.compactMap(\.credits).reduce(0, +)
        if json {
            print(Self.json(estimate, figures: figures, slots: slots, spent: spent).canonicalJSON)
        } else {
            print(Self.text(estimate, task: task, figures: figures, slots: slots, spent: spent))
        }
        if releaseRest {
            if try await store.releaseSample(task: task) {
                CoordinatorSupport.printError("released the other \(figures.tiles - figures.sample.count) tiles of \(task) to the coordinator")
            } else {
                CoordinatorSupport.printError("task \(task) was already released")
            }
        }
    }

    static func text(_ estimate: RunEstimate, task: String, figures: TaskStore.SampleFigures, slots: Int, spent: Double) -> String {
        let ended = figures.sample.filter(\.status.isTerminal).count
        let failed = figures.sample.filter { $0.status == .failed }.count
        var lines = ["task \(task): \(figures.tiles) tiles, \(String(format: "%.1f", figures.totalAreaKm2)) km²; "
            + "sample \(figures.sample.count) tiles, \(estimate.observations) finished"
            + (failed > 0 ? ", \(failed) failed (left out)" : "")
            + (ended < figures.sample.count ? ", \(figures.sample.count - ended) still running (--wait waits for them)" : "")]
        guard estimate.observations > 0 else {
            lines.append("no sample tile has finished yet: nothing to project")
            return lines.joined(separator: "\n")
        }
        let unit = figures.windowed ? "km²·day" : "km²"
        if let credits = estimate.credits {
            lines.append("credits     \(StatusCommand.credits(credits.value)) (90% interval \(StatusCommand.credits(credits.low))–\(StatusCommand.credits(credits.high)))"
                + (estimate.creditsPerSize.map { ", \(StatusCommand.credits($0)) per \(unit)" } ?? ""))
        } else {
            lines.append("credits     unknown: the backend reported no costs for the sample")
        }
        if let wall = estimate.wallSeconds {
            lines.append("wall time   \(WatchProgress.duration(wall.value)) (90% interval \(WatchProgress.duration(wall.low))–\(WatchProgress.duration(wall.high))) at max_active \(slots)")
        }
        lines.append("spent on the sample: \(StatusCommand.credits(spent)) credits")
        if figures.sampling {
            lines.append("the other \(figures.tiles - figures.sample.count) tiles wait: `tilefleet estimate \(task) --run` starts them (the sample is not run again)")
        }
        return lines.joined(separator: "\n")
    }

    static func json(_ estimate: RunEstimate, figures: TaskStore.SampleFigures, slots: Int, spent: Double) -> JSONValue {
        func projection(_ value: RunEstimate.Projection?) -> JSONValue {
            value.map { .object(["value": .number($0.value), "low": .number($0.low), "high": .number($0.high)]) } ?? .null
        }
        return .object([
            "tiles": .number(Double(figures.tiles)), "area_km2": .number(figures.totalAreaKm2),
            "sample": .number(Double(figures.sample.count)), "finished": .number(Double(estimate.observations)),
            "sampling": .bool(figures.sampling), "max_active": .number(Double(slots)),
            "credits": projection(estimate.credits), "credits_per_size": estimate.creditsPerSize.map(JSONValue.number) ?? .null,
            "size_unit": .string(figures.windowed ? "km2_day" : "km2"),
            "wall_seconds": projection(estimate.wallSeconds), "spent": .number(spent),
        ])
    }
}
