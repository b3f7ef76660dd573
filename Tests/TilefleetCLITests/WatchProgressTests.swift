import Foundation
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
}
