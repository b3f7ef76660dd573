import FleetConfig
import FleetModel
import Foundation

/// A job written by hand for `tilefleet try --job job.json`:
///
/// ```json
/// {
///   "title": "PV farms",
///   "process": {"id": "eurac_pv_farm_detection", "namespace": "https://…/udp.json"},
///   "arguments": {"temporal_extent": ["2023-05-01", "2023-09-30"]},
///   "job_options": {"executor-memory": "2g"},
///   "format": "GTiff",
///   "tiles": {"vienna-0-0": {"spatial_extent": {"west": 16.18, "south": 48.1, "east": 16.45, "north": 48.28}}}
/// }
/// ```
///
/// `process` is `{"id", "namespace"?}` or `{"process_graph": {…}}`; a tile's arguments are added to
/// `arguments`. `options` (OGC execute members) and `subscriber` are optional.
public struct BackendJobFile: Sendable {
    public var job: BackendJob
    /// Per-tile arguments by tile id.
    public var tiles: [String: [String: JSONValue]]

    static let keys: Set<String> = ["title", "description", "process", "arguments", "job_options", "options", "format", "subscriber", "tiles"]

    /// Parses a job file; errors name the key.
    public init(data: Data) throws {
        let document: JSONValue
        do {
            document = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw ConfigurationError(path: "", message: "the job file is not valid JSON: \(error)")
        }
        guard let members = document.jsonObject else { throw ConfigurationError(path: "", message: "the job file must be a JSON object") }
        for key in members.keys where !Self.keys.contains(key) {
            throw ConfigurationError(path: key, message: "unknown key (expected one of: \(Self.keys.sorted().joined(separator: ", ")))")
        }
        guard let process = members["process"]?.jsonObject else {
            throw ConfigurationError(path: "process", message: "is required: {\"id\": …, \"namespace\": …} or {\"process_graph\": {…}}")
        }
        let jobProcess: BackendJob.Process
        if let graph = process["process_graph"]?.jsonObject {
            jobProcess = .processGraph(graph)
        } else if let id = process["id"]?.stringValue {
            jobProcess = .named(id: id, namespace: process["namespace"]?.stringValue)
        } else {
            throw ConfigurationError(path: "process", message: "needs an id or a process_graph")
        }
        func object(_ key: String) throws -> [String: JSONValue] {
            guard let value = members[key] else { return [:] }
            guard let object = value.jsonObject else { throw ConfigurationError(path: key, message: "must be an object") }
            return object
        }
        var options = try object("job_options")
        for (key, value) in try object("options") { options[key] = value }
        var subscriber: BackendJob.Subscriber?
        if let value = members["subscriber"]?.jsonObject {
            subscriber = .init(successUri: value["successUri"]?.stringValue, inProgressUri: value["inProgressUri"]?.stringValue, failedUri: value["failedUri"]?.stringValue)
        }
        self.job = BackendJob(
            process: jobProcess,
            arguments: try object("arguments"),
            title: members["title"]?.stringValue,
            description: members["description"]?.stringValue,
            options: options,
            outputFormat: members["format"]?.stringValue,
            subscriber: subscriber
        )
        var tiles: [String: [String: JSONValue]] = [:]
        for (id, value) in try object("tiles") {
            guard let arguments = value.jsonObject else { throw ConfigurationError(path: "tiles.\(id)", message: "must be an object of arguments") }
            tiles[id] = arguments
        }
        self.tiles = tiles
    }

    /// The job for one tile: its arguments added, its id in the title. A file with a `tiles` section
    /// only knows those tiles.
    public func job(forTile tileID: String) throws -> BackendJob {
        var job = self.job
        if !self.tiles.isEmpty {
            guard let arguments = self.tiles[tileID] else {
                throw ConfigurationError(path: "tiles", message: "no tile '\(tileID)' (the file has: \(self.tiles.keys.sorted().joined(separator: ", ")))")
            }
            for (name, value) in arguments { job.arguments[name] = value }
        }
        job.title = "\(job.title ?? "tilefleet try") \(tileID)"
        return job
    }
}
