import Coordinator
import FleetConfig
import Foundation
import FuzzTargets
import Testing

/// Replays the fuzzing corpus (`Tests/Fuzz/corpus/<target>`: the seeds, and the inputs libFuzzer
/// kept for new coverage) and the findings (`Tests/Fuzz/regressions/<target>`: inputs that once
/// crashed or hung a reader) through the same entry points `make fuzz` runs. A reader that
/// crashes fails the whole test run.
@Suite struct FuzzCorpusTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz")
    static let project = root.deletingLastPathComponent().deletingLastPathComponent()

    static func inputs(_ target: FuzzTarget, in kind: String) -> [URL] {
        let directory = root.appendingPathComponent(kind).appendingPathComponent(target.rawValue)
        return ((try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? [])
            .filter { !$0.lastPathComponent.hasPrefix(".") }
    }

    @Test(arguments: FuzzTarget.allCases)
    func everyInputOfTheCorpusIsReadWithoutACrash(target: FuzzTarget) throws {
        let fleet = try FleetConfiguration.load(explicit: Self.project.appendingPathComponent("config/fleet.example.yaml").path, environment: [:])
        let base = Self.project.appendingPathComponent("config/tasks").path
        let seeds = Self.inputs(target, in: "corpus")
        #expect(!seeds.isEmpty, "no seed for \(target.rawValue)")
        for input in seeds + Self.inputs(target, in: "regressions") {
            target.run(Array(try Data(contentsOf: input)), fleet: fleet, base: base)
        }
    }
}
