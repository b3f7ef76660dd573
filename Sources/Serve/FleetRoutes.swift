import FleetModel
import Foundation
import Hummingbird
import Storage

/// tilefleet's own routes, for what the APEx API lacks (all authenticated, the user's tasks only):
///
/// - `GET /api/tasks`: the tasks with counts per status, throughput and ETA;
/// - `GET /api/tasks/{id}`: one task with the same figures;
/// - `GET /api/tasks/{id}/tiles`: its tiles with attempt, backend, job id, times, durations, error;
///   `GET /api/tasks/{id}/tiles.geojson` the same as a GeoJSON FeatureCollection (the map's layer);
/// - `GET /api/tasks/{id}/tiles/{tile}`: one tile with its attempts (backend jobs, usage) and assets;
/// - `GET /api/tasks/{id}/events?limit=100`: its latest recorded status events, oldest first (live:
///   the websocket `/ws/tasks/{id}/events`, ``EventSocket``);
/// - `POST /api/tasks/{id}/cancel` and `POST /api/tasks/{id}/retry` (optional body `{"tiles": […]}`;
///   retry also takes `{"failed_only": true}`), as `tilefleet cancel` / `retry` do.
public struct FleetRoutes: Sendable {
    let fleet: ServeFleet

    public init(fleet: ServeFleet) {
        self.fleet = fleet
    }

    public func register(on group: RouterGroup<ServeContext>) {
        group.get("api/tasks") { _, context in
            Response.json(.array(try await fleet.summaries(user: try context.requireUser()).map(Self.task)))
        }
        group.get("api/tasks/:id") { _, context in
            Response.json(Self.task(try await fleet.summary(try context.parameters.require("id"), user: try context.requireUser())))
        }
        group.get("api/tasks/:id/tiles") { _, context in
            let summary = try await fleet.summary(try context.parameters.require("id"), user: try context.requireUser())
            return Response.json(.array(try await fleet.tiles(summary.id).map { Self.tile($0, geometry: false) }))
        }
        group.get("api/tasks/:id/tiles.geojson") { _, context in
            let summary = try await fleet.summary(try context.parameters.require("id"), user: try context.requireUser())
            let features = try await fleet.tiles(summary.id).map(Self.feature)
            return Response.json(.object(["type": .string("FeatureCollection"), "features": .array(features)]),
                                 contentType: "application/geo+json")
        }
        group.get("api/tasks/:id/tiles/:tile") { _, context in
            let summary = try await fleet.summary(try context.parameters.require("id"), user: try context.requireUser())
            let tileID = try context.parameters.require("tile")
            guard let tile = try await fleet.tiles(summary.id, tile: tileID).first else {
                throw APIError.tileNotFound(task: summary.id, tile: tileID)
            }
            guard case .object(var members) = Self.tile(tile, geometry: true) else { return Response(status: .internalServerError) }
            members["attempts"] = .array(try await fleet.attempts(task: summary.id, tile: tileID).map(Self.attempt))
            let result = try await fleet.results(UnitJobID(task: summary.id, tile: tileID))
            members["assets"] = .array((result?.assets ?? []).map(Self.asset))
            return Response.json(.object(members))
        }
        group.get("api/tasks/:id/events") { request, context in
            let summary = try await fleet.summary(try context.parameters.require("id"), user: try context.requireUser())
            let limit = try request.queryInt("limit", in: 1...10_000) ?? 100
            return Response.json(.array(try await fleet.events(task: summary.id, since: nil, limit: limit).map(Self.event)))
        }
        group.post("api/tasks/:id/cancel") { request, context in
            let summary = try await fleet.summary(try context.parameters.require("id"), user: try context.requireUser())
            let outcome = try await fleet.cancel(task: summary.id, tiles: try await Self.tiles(request))
            return Response.json(.object([
                "canceled": .number(Double(outcome.canceled)), "cancel_items": .number(Double(outcome.cancelItems)),
                "not_yet_submitted": .number(Double(outcome.notYetSubmitted)),
            ]))
        }
        group.post("api/tasks/:id/retry") { request, context in
            let summary = try await fleet.summary(try context.parameters.require("id"), user: try context.requireUser())
            let body = try await Self.body(request)
            let failedOnly: Bool
            switch body["failed_only"] {
            case nil, .null?: failedOnly = false
            case .bool(let value)?: failedOnly = value
            default: throw APIError.validation("failed_only", "expected true or false")
            }
            let count = try await fleet.retry(task: summary.id, tiles: try Self.tiles(body), failedOnly: failedOnly)
            return Response.json(.object(["retried": .number(Double(count))]))
        }
    }

    /// The optional JSON body (empty: `{}`).
    static func body(_ request: Request) async throws -> [String: JSONValue] {
        let data = try await request.data(limit: 4 * 1024 * 1024)
        if data.isEmpty { return [:] }
        guard case .object(let members)? = try? JSONDecoder().decode(JSONValue.self, from: data) else {
            throw APIError.validation("", "the body must be a JSON object")
        }
        return members
    }

    static func tiles(_ request: Request) async throws -> [String]? {
        try tiles(try await body(request))
    }

    /// `tiles` of a body: nil (all) when absent; 422 unless a non-empty list of strings.
    static func tiles(_ body: [String: JSONValue]) throws -> [String]? {
        guard let value = body["tiles"], value != .null else { return nil }
        guard let list = value.arrayValue, !list.isEmpty else { throw APIError.validation("tiles", "expected a non-empty list of tile ids") }
        return try list.enumerated().map { index, item in
            guard let text = item.stringValue else { throw APIError.validation("tiles[\(index)]", "expected a tile id (string)") }
            return text
        }
    }

    static func number(_ value: Double?) -> JSONValue { value.map(JSONValue.number) ?? .null }
    static func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
    static func time(_ value: Date?) -> JSONValue { value.map { .string(APExViews.timestamp($0)) } ?? .null }

    /// A task with its counts, throughput (tiles per hour over the last ten minutes), ETA, the
    /// credits its jobs have cost so far and, with a budget, where it stands against it.
    static func task(_ summary: TaskSummary) -> JSONValue {
        var members: [String: JSONValue] = [
            "id": .string(summary.id), "title": .string(summary.title), "backend": .string(summary.backend),
            "status": .string(summary.status),
            "apex_status": .string(APExStatus.task(counts: summary.counts, canceled: summary.status == "canceled").rawValue),
            "priority": .number(Double(summary.priority)), "created": time(summary.createdAt), "last_change": time(summary.lastChangeAt),
            "counts": .object(summary.counts.mapValues { .number(Double($0)) }), "total": .number(Double(summary.total)),
            "tiles_per_hour": .number(Double(summary.tilesPerHour)), "eta_seconds": number(summary.etaSeconds),
            "elapsed_seconds": number(summary.elapsedSeconds), "jobs_may_run": .number(Double(summary.jobsMayRun)),
        ]
        members["credits"] = number(summary.credits)
        if let budget = summary.budget {
            let state: String? = switch summary.budgetState {
            case .open: "open"
            case .probing: "probing"
            case .paused: "paused"
            case nil: nil
            }
            members["budget"] = .object(["limit": .number(budget.budget), "spent": .number(budget.spent), "state": text(state)])
        }
        if let trouble = summary.trouble {
            members["trouble"] = .object(["tiles": .number(Double(trouble.tiles)), "text": .string(trouble.text), "since": time(trouble.since)])
        }
        return .object(members)
    }

    /// A tile's figures (with its geometry when `geometry`).
    static func tile(_ tile: TileDetail, geometry: Bool) -> JSONValue {
        var members: [String: JSONValue] = [
            "tile": .string(tile.tile), "job_id": .string(UnitJobID(task: tile.task, tile: tile.tile).description),
            "status": .string(tile.status), "apex_status": .string(APExStatus(tileStatus: tile.status).rawValue),
            "attempt": .number(Double(tile.attempt)), "backend": .string(tile.backend), "backend_job_id": text(tile.backendJobID),
            "raw_status": text(tile.rawStatus), "progress": number(tile.progress), "message": text(tile.message),
            "error": text(tile.lastError), "trouble": text(tile.trouble), "area_km2": number(tile.areaKm2),
            "created": time(tile.createdAt), "dispatched": time(tile.dispatchedAt), "submitted": time(tile.submittedAt),
            "started": time(tile.startedAt), "finished": time(tile.finishedAt), "updated": time(tile.updatedAt),
            "queue_wait_seconds": number(tile.queueWaitSeconds), "run_seconds": number(tile.runSeconds),
        ]
        if geometry { members["geometry"] = decoded(tile.geometry) }
        return .object(members)
    }

    /// A tile as a GeoJSON Feature: its geometry, its figures as properties.
    static func feature(_ detail: TileDetail) -> JSONValue {
        .object(["type": .string("Feature"), "id": .string(detail.tile), "geometry": decoded(detail.geometry),
                 "properties": tile(detail, geometry: false)])
    }

    static func event(_ event: TaskEvent) -> JSONValue {
        .object([
            "id": .string(event.id), "tile": .string(event.tile), "attempt": .number(Double(event.attempt)), "status": .string(event.status),
            "raw_status": text(event.rawStatus), "backend": text(event.backend), "backend_job_id": text(event.backendJobID),
            "progress": number(event.progress), "message": text(event.message), "error": text(event.error), "worker": text(event.worker),
            "time": time(event.occurredAt), "recorded": time(event.recordedAt),
        ])
    }

    static func attempt(_ attempt: TileAttempt) -> JSONValue {
        .object([
            "attempt": .number(Double(attempt.attempt)), "backend": text(attempt.backend), "job_id": text(attempt.jobID),
            "status": .string(attempt.status), "raw_status": text(attempt.rawStatus), "submitted": time(attempt.submittedAt),
            "started": time(attempt.startedAt), "finished": time(attempt.finishedAt), "error": text(attempt.error),
            "usage": decoded(attempt.usageJSON),
        ])
    }

    static func asset(_ asset: TileResult.Asset) -> JSONValue {
        .object(["key": text(asset.key), "href": .string(asset.href), "type": text(asset.type),
                 "roles": .array(asset.roles.map(JSONValue.string)), "title": text(asset.title), "size": number(asset.size.map(Double.init))])
    }

    static func decoded(_ text: String?) -> JSONValue {
        guard let text else { return .null }
        return (try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))) ?? .null
    }
}
