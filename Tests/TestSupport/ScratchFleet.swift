import Foundation

/// A temporary directory with a fleet configuration in it, for tests that start one role by
/// itself and read its log.
public struct ScratchFleet: Sendable {
    public let directory: String

    /// Creates `tilefleet-<name>-<random>` in the temporary directory with `fleetYAML` as its
    /// `fleet.yaml`.
    public init(_ name: String, fleetYAML: String) throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("tilefleet-\(name)-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try fleetYAML.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    public var configPath: String { directory + "/fleet.yaml" }

    /// The path of a log file in the directory.
    public func logPath(_ name: String) -> String { directory + "/" + name }

    /// What a log file holds so far (empty before it exists).
    public func contents(ofLog name: String) -> String {
        (try? String(contentsOfFile: logPath(name), encoding: .utf8)) ?? ""
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}
