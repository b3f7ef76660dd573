import AMQP
import ArgumentParser
import Coordinator
import FleetModel
import Foundation
import Postgres
#if canImport(Glibc)
import Glibc
import Storage
#endif

/// `tilefleet watch TASK`: live progress from the events exchange.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Follow a task live: counts per status, throughput and ETA; exits when it is done (status 1 if tiles failed).")

    @Argument(help: "The task id.")
    var task: String

    @Option(help: "Seconds between lines when the output is not a terminal.")
    var every: Int = 10

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let configuration = try connection.fleetConfiguration()
        let database = try await CoordinatorSupport.database(connection)
        let store = TaskStore(connection: database)
        guard let first = try? await store.summaries(task: task).first else {
            CoordinatorSupport.printError("no task '\(task)'")
            throw ExitCode(2)
        }
        if first.isDone {
            // Nothing left to follow: answer at once with the task's own duration.
            await database.close()
            try Self.finish(first)
        }
        let amqp = try await AMQPConnection.connect(url: connection.resolvedAMQPURL(), logger: CoordinatorSupport.quietLogger)
        let channel = try await amqp.openChannel()
        try await configuration.topology.declareAsConsumer(on: channel)
        let queue = try await channel.declareQueue("", durable: false, exclusive: true, autoDelete: true)
        try await channel.bindQueue(queue.name, exchange: configuration.topology.eventsExchange, routingKey: "\(task).#")
        let consumer = try await channel.consume(queue: queue.name, noAck: true, exclusive: true)

        var progress = WatchProgress(summary: try await store.summaries(task: task)[0])
        let terminal = isatty(1) == 1
        let (ticks, tick) = AsyncStream.makeStream(of: WatchTick.self, bufferingPolicy: .bufferingNewest(1000))
        let events = Task {
            for await delivery in consumer {
                if (try? MessageCoding.decoder().decode(StatusEvent.self, from: Data(delivery.body))) != nil {
                    tick.yield(.event)
                }
            }
        }
        let timer = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(terminal ? 1 : max(1, every)))
                tick.yield(.timer)
            }
        }
        defer { events.cancel(); timer.cancel() }
        var lastSync = ContinuousClock.now
        progress.render(terminal: terminal)
        for await reason in ticks {
            // Events say something changed; PostgreSQL (written by the recorder) has the exact counts.
            if reason == .timer || ContinuousClock.now - lastSync > .milliseconds(500) {
                if let summary = try? await store.summaries(task: task).first { progress.update(summary) }
                lastSync = ContinuousClock.now
                progress.render(terminal: terminal)
            }
            if progress.summary.isDone { break }
        }
        if terminal { print("") }
        await amqp.close()
        await database.close()
        try Self.finish(progress.summary)
    }

    /// Prints the closing line of a done task (its duration from creation to its last tile's change)
    /// and exits: status 1 if tiles failed.
    static func finish(_ summary: TaskSummary) throws -> Never {
        print(doneLine(summary))
        throw summary.count("failed") > 0 ? ExitCode(1) : ExitCode.success
    }

    static func doneLine(_ summary: TaskSummary) -> String {
        "task \(summary.id) done: \(summary.count("finished")) finished, \(summary.count("failed")) failed, \(summary.count("canceled")) canceled of \(summary.total)"
            + (summary.elapsedSeconds.map { " in \(WatchProgress.duration($0))" } ?? "")
    }
}

enum WatchTick: Sendable { case event, timer }

/// Counts, throughput and ETA of a watched task.
struct WatchProgress {
    var summary: TaskSummary
    let started = Date()
    let initialTerminal: Int

    init(summary: TaskSummary) {
        self.summary = summary
        initialTerminal = summary.terminal
    }

    mutating func update(_ summary: TaskSummary) { self.summary = summary }

    var elapsed: Double { max(Date().timeIntervalSince(started), 0.001) }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%dh%02dm", s / 3600, s % 3600 / 60) : s >= 60 ? String(format: "%dm%02ds", s / 60, s % 60) : "\(s)s"
    }

    /// `3 tiles in trouble for 2m05s (most: "submit failed: 503…", 7 tries)`: why tiles wait,
    /// one line, control characters escaped; nil when no tile waits on trouble.
    static func troubleLine(_ trouble: TaskSummary.Trouble?, now: Date) -> String? {
        guard let trouble, trouble.tiles > 0 else { return nil }
        let text = TableFormat.oneLine(trouble.text)
        let short = (text.count > 80 ? String(text.prefix(79)) + "…" : text).terminalSafe
        let tries = trouble.tries.map { ", \($0) \($0 == 1 ? "try" : "tries")" } ?? ""
        return "\(trouble.tiles) \(trouble.tiles == 1 ? "tile" : "tiles") in trouble for \(duration(max(0, now.timeIntervalSince(trouble.since))))"
            + " (most: \"\(short)\"\(tries))"
    }

    /// `credits 123.4` and, with a budget, `of 1500` and whether the budget pauses the task:
    /// `paused for its budget: 1490 of 1500 credits spent, ~12.5 a tile (tilefleet budget TASK N raises it)`.
    static func budgetLine(_ summary: TaskSummary) -> String? {
        let spent = summary.credits.map { "credits \(StatusCommand.credits($0))" }
        guard let budget = summary.budget else { return spent }
        switch summary.budgetState {
        case .paused:
            let each = budget.expectedPerTile.map { ", ~\(StatusCommand.credits($0)) a tile" } ?? ""
            return "paused for its budget: \(StatusCommand.credits(budget.spent)) of \(StatusCommand.credits(budget.budget)) credits spent\(each)"
                + " (tilefleet budget \(summary.id) N raises it)"
        case .probing:
            return "\(spent ?? "credits 0") of \(StatusCommand.credits(budget.budget)) (one tile at a time until a cost is known)"
        default:
            return "\(spent ?? "credits 0") of \(StatusCommand.credits(budget.budget))"
        }
    }

    func render(terminal: Bool) {
        let total = max(summary.total, 1)
        let done = summary.terminal
        let rate = Double(done - initialTerminal) / elapsed
        let eta = rate > 0 ? Self.duration(Double(summary.total - done) / rate) : "?"
        let counts = ["pending", "queued", "submitted", "running", "finished", "failed", "canceled"]
            .map { "\($0) \(summary.count($0))" }.joined(separator: "  ")
        let line = "\(done)/\(summary.total)  \(counts)  \(String(format: "%.2f", rate * 60)) tiles/min  ETA \(eta)"
            + (Self.troubleLine(summary.trouble, now: Date()).map { "  \($0)" } ?? "")
            + (Self.budgetLine(summary).map { "  \($0)" } ?? "")
            + (summary.sampling && !summary.isDone ? "  sampling: the rest waits for `tilefleet estimate \(summary.id) --run`" : "")
        if terminal {
            let width = 30
            let filled = width * done / total
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            FileHandle.standardOutput.write(Data("\r\u{1B}[2K\(bar) \(line)".utf8))
        } else {
            print("\(ISO8601DateFormatter().string(from: Date())) \(line)")
        }
    }
}
