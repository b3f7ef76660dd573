import Coordinator
import FleetConfig
import FleetModel
import Foundation
import Storage

/// The APEx Dispatch API's JSON shapes of tilefleet's tasks and tiles: an upscale task is a task,
/// a unit job is one of its tiles (``UnitJobID``). Pure: built from what the store read.
public struct APExViews: Sendable {
    public var backends: [BackendConfiguration]

    public init(backends: [BackendConfiguration]) {
        self.backends = backends
    }

    /// `openeo`, `ogc_api_process` or `eocanvas`, from the kind of the task's backend.
    /// `backend` may list a task's backends comma-separated (`status`'s form): the first names the kind.
    public func label(backend: String) -> String {
        let first = backend.split(separator: ",").first.map(String.init) ?? backend
        return switch backends.first(where: { $0.name == first })?.kind {
        case .ogc?: "ogc_api_process"
        case .eocanvas?: "eocanvas"
        default: "openeo"
        }
    }

    /// `{endpoint, application}`: the backend's URL and the service the task runs.
    public func service(_ spec: TaskSpec) -> JSONValue {
        let endpoint = backends.first(where: { $0.name == spec.backend })?.url ?? spec.backend
        let application: String
        switch spec.process {
        case .named(let id, let namespace): application = spec.serviceSource ?? namespace ?? id
        default: application = spec.serviceSource ?? "process graph"
        }
        return .object(["endpoint": .string(endpoint), "application": .string(application)])
    }

    /// A tile's job parameters: the task's fixed parameters with the tile's own over them (its
    /// `spatial_extent` geometry, window, dimension values).
    public func parameters(_ tile: TileDetail, spec: TaskSpec) -> JSONValue {
        var parameters = spec.parameters
        if let data = tile.parametersJSON.data(using: .utf8),
           case .object(let own)? = try? JSONDecoder().decode(JSONValue.self, from: data) {
            parameters.merge(own) { $1 }
        }
        return .object(parameters)
    }

    /// `{id, title, label, status}` of a tile.
    public func jobSummary(task: String, title: String, tile: String, status: String, backend: String) -> JSONValue {
        .object([
            "id": .string(UnitJobID(task: task, tile: tile).description), "title": .string("\(title) – \(tile)"),
            "label": .string(label(backend: backend)), "status": .string(APExStatus(tileStatus: status).rawValue),
        ])
    }

    /// A job as listed in its task: the summary with `service` and `parameters`.
    public func job(_ tile: TileDetail, summary: TaskSummary, spec: TaskSpec) -> JSONValue {
        guard case .object(var members) = jobSummary(task: tile.task, title: summary.title, tile: tile.tile, status: tile.status,
                                                     backend: tile.backend) else { return .null }
        members["service"] = service(spec)
        members["parameters"] = parameters(tile, spec: spec)
        return .object(members)
    }

    /// `GET /unit_jobs/{id}`: the job with `result_link` (its results route once finished), `created`, `updated`.
    public func jobDetail(_ tile: TileDetail, summary: TaskSummary, spec: TaskSpec) -> JSONValue {
        guard case .object(var members) = job(tile, summary: summary, spec: spec) else { return .null }
        let id = UnitJobID(task: tile.task, tile: tile.tile).description
        members["result_link"] = tile.status == "finished" ? .string("/unit_jobs/\(id)/results") : .null
        members["created"] = .string(Self.timestamp(tile.createdAt))
        members["updated"] = .string(Self.timestamp(tile.updatedAt))
        return .object(members)
    }

    /// `{id, title, label, status}` of a task.
    public func taskSummary(_ summary: TaskSummary) -> JSONValue {
        .object([
            "id": .string(summary.id), "title": .string(summary.title), "label": .string(label(backend: summary.backend)),
            "status": .string(APExStatus.task(counts: summary.counts, canceled: summary.status == "canceled").rawValue),
        ])
    }

    /// `GET /upscale_tasks/{id}`: the task with `service`, `created`, `updated` and its `jobs`.
    public func task(_ summary: TaskSummary, spec: TaskSpec, tiles: [TileDetail]) -> JSONValue {
        guard case .object(var members) = taskSummary(summary) else { return .null }
        members["service"] = service(spec)
        members["created"] = .string(Self.timestamp(summary.createdAt))
        let updated = [summary.updatedAt, summary.lastChangeAt].compactMap { $0 }.max() ?? summary.createdAt
        members["updated"] = .string(Self.timestamp(updated))
        members["jobs"] = .array(tiles.map { job($0, summary: summary, spec: spec) })
        return .object(members)
    }

    /// `GET /unit_jobs/{id}/results`: a STAC 1.0 Item of the tile with its assets under the
    /// platform's own keys (an asset recorded without one is keyed by its title, else its file name).
    public func results(_ result: TileResult, geometry: JSONValue) -> JSONValue {
        var assets: [String: JSONValue] = [:]
        for asset in result.assets {
            var key = asset.key ?? asset.title ?? URL(string: asset.href)?.lastPathComponent ?? asset.href
            if assets[key] != nil { key += "-\(assets.count)" }
            var members: [String: JSONValue] = ["href": .string(asset.href)]
            if let type = asset.type { members["type"] = .string(type) }
            if !asset.roles.isEmpty { members["roles"] = .array(asset.roles.map(JSONValue.string)) }
            if let title = asset.title { members["title"] = .string(title) }
            if let size = asset.size { members["file:size"] = .number(Double(size)) }
            assets[key] = .object(members)
        }
        var properties: [String: JSONValue] = ["status": .string(APExStatus(tileStatus: result.status).rawValue)]
        if let finished = result.finishedAt { properties["datetime"] = .string(Self.timestamp(finished)) } else { properties["datetime"] = .null }
        return .object([
            "type": .string("Feature"), "stac_version": .string("1.0.0"),
            "id": .string(UnitJobID(task: result.task, tile: result.tile).description),
            "geometry": geometry, "properties": .object(properties), "assets": .object(assets), "links": .array([]),
        ])
    }

    /// ISO 8601 in UTC with milliseconds.
    public static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
