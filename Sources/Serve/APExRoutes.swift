import Coordinator
import FleetModel
import Foundation
import Hummingbird
import Storage

/// The routes of the APEx Dispatch API: `POST /tiles` and `GET /health` open, the rest behind
/// bearer authentication and limited to the user's own tasks.
public struct APExRoutes: Sendable {
    let fleet: ServeFleet
    let views: APExViews

    public init(fleet: ServeFleet) {
        self.fleet = fleet
        views = APExViews(backends: fleet.configuration.backends.backends)
    }

    /// Adds the open routes to `router` and the authenticated ones to `group`.
    public func register(open router: Router<ServeContext>, authenticated group: RouterGroup<ServeContext>) {
        router.get("health") { _, _ in try await health() }
        router.post("tiles") { request, _ in
            let tiles = try TileRequest(body: try await request.data()).tiles(limits: fleet.configuration.limits)
            return Response.json(tiles, status: .created)
        }
        group.post("upscale_tasks") { request, context in try await createTask(request, user: try context.requireUser()) }
        group.get("upscale_tasks/:id") { _, context in
            Response.json(try await task(try context.parameters.require("id"), user: try context.requireUser()))
        }
        group.post("unit_jobs") { request, context in try await createJob(request, user: try context.requireUser()) }
        group.get("unit_jobs/:id") { _, context in
            let (summary, tile) = try await fleet.job(try jobID(context), user: try context.requireUser())
            return Response.json(views.jobDetail(tile, summary: summary, spec: try await fleet.spec(summary.id)))
        }
        group.get("unit_jobs/:id/results") { _, context in
            let id = try jobID(context)
            let (_, tile) = try await fleet.job(id, user: try context.requireUser())
            guard let result = try await fleet.results(id) else { throw APIError.jobNotFound(id.description) }
            let geometry = tile.geometry.flatMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) } ?? .null
            return Response.json(views.results(result, geometry: geometry))
        }
        group.delete("unit_jobs/:id") { _, context in
            let id = try jobID(context)
            _ = try await fleet.job(id, user: try context.requireUser())
            _ = try await fleet.cancel(task: id.task, tiles: [id.tile])
            return Response(status: .noContent)
        }
        group.get("jobs_status") { request, context in
            Response.json(try await jobsStatus(user: try context.requireUser(), limit: try request.queryInt("limit", in: 1...1000) ?? 50,
                                       offset: try request.queryInt("offset", in: 0...Int(Int32.max)) ?? 0))
        }
    }

    /// `{"status": "ok", "database": {"status": "ok"}}`, 503 with `error` when PostgreSQL does not answer.
    func health() async throws -> Response {
        let up = await fleet.databaseIsUp()
        let status = JSONValue.string(up ? "ok" : "error")
        return .json(.object(["status": status, "database": .object(["status": status])]), status: up ? .ok : .serviceUnavailable)
    }

    func jobID(_ context: ServeContext) throws -> UnitJobID {
        let text = try context.parameters.require("id")
        guard let id = UnitJobID(text) else { throw APIError.jobNotFound(text) }
        return id
    }

    /// The task as `GET /upscale_tasks/{id}` and the websocket show it.
    public func task(_ id: String, user: String) async throws -> JSONValue {
        let summary = try await fleet.summary(id, user: user)
        return views.task(summary, spec: try await fleet.spec(id), tiles: try await fleet.tiles(id))
    }

    /// `GET /jobs_status`: the user's tasks and their latest jobs.
    public func jobsStatus(user: String, limit: Int = 50, offset: Int = 0) async throws -> JSONValue {
        let summaries = try await fleet.summaries(user: user)
        let backends = Dictionary(summaries.map { ($0.id, $0.backend) }, uniquingKeysWith: { first, _ in first })
        let jobs = try await fleet.recentTiles(user: user, limit: limit, offset: offset).map {
            views.jobSummary(task: $0.task, title: $0.title, tile: $0.tile, status: $0.status, backend: backends[$0.task] ?? "")
        }
        return .object([
            "upscaling_tasks": .array(summaries.dropFirst(offset).prefix(limit).map(views.taskSummary)),
            "processing_jobs": .array(jobs),
        ])
    }

    /// `POST /upscale_tasks`: an APEx upscale task (`title`, `label`, `service`, `parameters`,
    /// `format`, `dimension`) → 201 `{id, title, label, status}`.
    func createTask(_ request: Request, user: String) async throws -> Response {
        let members = try await request.jsonObject()
        for field in ["title", "label", "service", "dimension"] where members[field] == nil {
            throw APIError.validation(field, "is required")
        }
        return try await created(document: JSONValue.object(members), user: user, job: false)
    }

    /// `POST /unit_jobs`: one job (`title`, `label`, `service`, `parameters` with `spatial_extent`,
    /// `format`), stored as a task of one tile → 201 `{id, title, label, status}`.
    func createJob(_ request: Request, user: String) async throws -> Response {
        var members = try await request.jsonObject()
        for field in ["title", "label", "service", "parameters"] where members[field] == nil {
            throw APIError.validation(field, "is required")
        }
        guard case .object(var parameters)? = members["parameters"] else { throw APIError.validation("parameters", "must be an object") }
        guard let extent = parameters.removeValue(forKey: "spatial_extent") else {
            throw APIError.validation("parameters.spatial_extent", "is required: tilefleet runs every job on an area")
        }
        members["parameters"] = .object(parameters)
        members["dimension"] = .object(["name": .string("spatial_extent"), "values": .array([extent])])
        return try await created(document: .object(members), user: user, job: true)
    }

    private func created(document: JSONValue, user: String, job: Bool) async throws -> Response {
        let plan = try await fleet.submit(document.canonicalJSON, user: user)
        let spec = plan.spec
        if job, let record = plan.records.first {
            return .json(views.jobSummary(task: spec.id, title: spec.title, tile: record.tileID, status: "pending", backend: spec.backend),
                         status: .created)
        }
        return .json(.object([
            "id": .string(spec.id), "title": .string(spec.title), "label": .string(views.label(backend: spec.backend)),
            "status": .string(APExStatus.created.rawValue),
        ]), status: .created)
    }
}
