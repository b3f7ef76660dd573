import ArgumentParser
import Storage
import Testing
@testable import TilefleetCLI

/// Numbers out of range are refused with the option and the range, never wrapped or clamped.
@Suite struct OptionRangeTests {
    func refusal(_ arguments: [String]) -> String? {
        do {
            _ = try Tilefleet.parseAsRoot(Tilefleet.arguments(arguments))
            return nil
        } catch {
            #expect(Tilefleet.exitCode(for: error).rawValue == 64, "ArgumentParser's usage code, which the executable folds into 2")
            return Tilefleet.message(for: error)
        }
    }

    @Test(arguments: [
        (["simulate", "--port", "99999"], "--port 99999 is out of range: expected 0…65535 (0: any free port)"),
        (["simulate", "--port", "-1"], "--port -1 is out of range: expected 0…65535"),
        (["simulate", "--failure-rate", "1.5"], "--failure-rate 1.5 is out of range: expected a share 0…1"),
        (["recorder", "--batch-size", "0"], "--batch-size 0 is out of range: expected at least 1"),
        (["recorder", "--writers", "0"], "--writers 0 is out of range: expected at least 1"),
        (["recorder", "--prefix", "qa.#*"], "--prefix 'qa.#*' holds '#'"),
        (["worker", "--metrics-port", "70000"], "--metrics-port 70000 is out of range"),
        (["worker", "--metrics-address", "example.com"], "--metrics-address 'example.com' is not an IP address"),
        (["worker", "--metrics-address", "256.0.0.1"], "--metrics-address '256.0.0.1' is not an IP address"),
        (["coordinator", "--interval", "0"], "--interval 0 is out of range: expected at least 1"),
    ])
    func outOfRangeIsRefused(arguments: [String], expected: String) throws {
        let message = try #require(refusal(arguments), "\(arguments) accepted")
        #expect(message.contains(expected), "\(message)")
    }

    @Test func metricsListenOnLoopbackUnlessToldOtherwise() throws {
        let worker = try #require(try Tilefleet.parseAsRoot(["worker"]) as? WorkerCommand)
        #expect(worker.metrics.metricsAddress == "127.0.0.1")
        for address in ["127.0.0.1", "0.0.0.0", "::1", "::", "fe80::1", "2001:db8::8a2e:370:7334", "::ffff:192.0.2.1",
                        "1:2:3:4:5:6:7:8"] {
            #expect(throws: Never.self, "\(address)") { try OptionRange.requireAddress(address, "--metrics-address") }
        }
        for address in ["", "localhost", "1.2.3", "1.2.3.4.5", "01234.1.1.1", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "::g", "1:2:3:4:5:6:7::8"] {
            #expect(throws: (any Error).self, "\(address)") { try OptionRange.requireAddress(address, "--metrics-address") }
        }
    }

    @Test func aMissingSimulatorConfigIsNamedWithItsReason() throws {
        let command = try #require(try Tilefleet.parseAsRoot(["simulate", "--config", "/nonexistent-dir/sim.yaml"]) as? SimulateCommand)
        do {
            _ = try command.configurationFromFileAndFlags()
            Issue.record("read a missing file")
        } catch {
            #expect(Tilefleet.message(for: error) == "/nonexistent-dir/sim.yaml: cannot read the simulator config: no such directory '/nonexistent-dir'")
        }
    }

    @Test func inRangeValuesPass() {
        #expect(refusal(["simulate", "--port", "0"]) == nil)
        #expect(refusal(["simulate", "--port", "65535", "--failure-rate", "0.2"]) == nil)
        #expect(refusal(["recorder", "--batch-size", "1"]) == nil)
    }

    @Test func controlCharactersAreEscapedForTheTerminal() {
        #expect("Vienna \u{1B}[31mred\u{1B}[0m\n\tx\u{7F}\u{9B}".terminalSafe == "Vienna \\x1b[31mred\\x1b[0m\\x0a\\x09x\\x7f\\x9b")
        #expect("plain — ünïcode".terminalSafe == "plain — ünïcode")
        let table = Report.Table.make(title: "tasks", columns: ["task", "title"], rows: [["t1", "evil\u{1B}]0;pwned\u{07}"]])
        let text = TableFormat.table.render([table])
        #expect(!text.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 })
        #expect(text.contains("evil\\x1b]0;pwned\\x07"))
    }
}
