import Foundation
import FleetModel
import Storage
import Testing
@testable import TilefleetCLI

struct WatchProgressTests {
    static let since = Date(timeIntervalSince1970: 1_780_000_000)

    @Test func noTroubleNoLine() {
        #expect(WatchProgress.troubleLine(nil, now: Self.since) == nil)
        #expect(WatchProgress.troubleLine(TaskSummary.Trouble(tiles: 0, text: "x", since: Self.since, tries: 1), now: Self.since) == nil)
    }

    @Test func troubleSaysHowManyTilesSinceWhenAndWhat() {
        let trouble = TaskSummary.Trouble(tiles: 3, text: "submit failed: 503", since: Self.since, tries: 7)
        #expect(WatchProgress.troubleLine(trouble, now: Self.since.addingTimeInterval(125))
                == #"3 tiles in trouble for 2m05s (most: "submit failed: 503", 7 tries)"#)
    }

    @Test func troubleTextIsOneShortEscapedLine() throws {
        let text = "status call failed:\n\u{1B}[31m" + String(repeating: "x", count: 200)
        let trouble = TaskSummary.Trouble(tiles: 1, text: text, since: Self.since, tries: 1)
        let line = try #require(WatchProgress.troubleLine(trouble, now: Self.since))
        #expect(!line.contains("\n") && !line.contains("\u{1B}"))
        #expect(line.hasPrefix(#"1 tile in trouble for 0s (most: "status call failed: \x1b[31mxxx"#), "\(line)")
        #expect(line.hasSuffix(#"x…", 1 try)"#), "\(line)")
        #expect(line.count < 140)
    }

    static func summary(budget: TaskBudget?, credits: Double?, pending: Int) -> TaskSummary {
        var summary = TaskSummary(id: "t1", title: "t", backend: "sim", status: "active", priority: 0, createdAt: since,
                                  counts: ["pending": pending, "running": 2, "finished": 6])
        summary.credits = credits
        summary.budget = budget
        return summary
    }

    @Test func theBudgetLineSaysWhatWasSpentAndWhenTheTaskIsPaused() {
        #expect(WatchProgress.budgetLine(Self.summary(budget: nil, credits: nil, pending: 4)) == nil)
        #expect(WatchProgress.budgetLine(Self.summary(budget: nil, credits: 12.5, pending: 4)) == "credits 12.5")
        let open = TaskBudget(budget: 1000, spent: 60, costedAttempts: 6, finishedAttempts: 6, inFlight: 2)
        #expect(WatchProgress.budgetLine(Self.summary(budget: open, credits: 65.25, pending: 4)) == "credits 65.25 of 1000")
        let full = TaskBudget(budget: 80, spent: 60, costedAttempts: 6, finishedAttempts: 6, inFlight: 2)
        let paused = Self.summary(budget: full, credits: 65, pending: 4)
        #expect(paused.budgetState == .paused)
        #expect(StatusCommand.displayStatus(paused) == "paused")
        #expect(WatchProgress.budgetLine(paused)
                == "paused for its budget: 60 of 80 credits spent, ~10 a tile (tilefleet budget t1 N raises it)")
        #expect(StatusCommand.credits(0) == "0" && StatusCommand.credits(1500) == "1500" && StatusCommand.credits(0.1234) == "0.123")
    }
}
