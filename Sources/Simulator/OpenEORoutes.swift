import Foundation
import Hummingbird

/// The openEO API 1.2 subset: capabilities, `/credentials/basic`, `/credentials/oidc`, `GET /me`,
/// `GET /processes` (predefined processes with their parameters), `PUT|GET /process_graphs/{id}`
/// (stored UDPs), and batch jobs (`POST /jobs`, `GET /jobs`, `GET /jobs/{id}`,
/// `POST|GET|DELETE /jobs/{id}/results`, `GET /jobs/{id}/logs`, `DELETE /jobs/{id}`). Shapes and
/// error codes follow openeo-driver, the reference server the contract tests run against.
struct OpenEORoutes: Sendable {
    let store: SimulatorStore

    func register(on router: RouterGroup<SimulatorRequestContext>) {
        let store = self.store
        router.get("") { request, _ in
            let base = SimulatorJSON.origin(request) + "/openeo"
            return SimulatorJSON.response(object: [
                "api_version": "1.2.0", "backend_version": "tilefleet-simulator", "stac_version": "1.0.0",
                "id": "tilefleet-simulator", "title": "tilefleet simulator", "description": "A simulated openEO backend.",
                "endpoints": [
                    ["path": "/credentials/basic", "methods": ["GET"]], ["path": "/credentials/oidc", "methods": ["GET"]],
                    ["path": "/jobs", "methods": ["GET", "POST"]], ["path": "/jobs/{job_id}", "methods": ["GET", "DELETE"]],
                    ["path": "/jobs/{job_id}/results", "methods": ["GET", "POST", "DELETE"]], ["path": "/jobs/{job_id}/logs", "methods": ["GET"]],
                    ["path": "/me", "methods": ["GET"]], ["path": "/processes", "methods": ["GET"]],
                    ["path": "/process_graphs/{process_graph_id}", "methods": ["GET", "PUT"]],
                ],
                "links": [["rel": "self", "href": base]],
            ])
        }
        router.get("credentials/basic") { request, _ in
            guard let header = request.headers[.authorization], let user = SimulatorAuth.basicUser(header, store: store) else {
                store.recordAuthFailure()
                return SimulatorJSON.response(
                    object: ["id": UUID().uuidString, "code": "CredentialsInvalid", "message": "Credentials are not correct."],
                    status: .forbidden
                )
            }
            let token = store.issueToken(for: user)
            return SimulatorJSON.response(object: ["access_token": token.access])
        }
        router.get("credentials/oidc") { request, _ in
            guard store.configuration.offerOIDC else { return SimulatorJSON.response(object: ["providers": [Any]()]) }
            return SimulatorJSON.response(object: [
                "providers": [[
                    "id": "sim", "issuer": SimulatorJSON.origin(request) + "/oidc", "title": "Simulated OIDC provider",
                    "scopes": ["openid"],
                    "default_clients": store.configuration.deviceClients.prefix(1).map { client in
                        ["id": client, "grant_types": [OIDCRoutes.deviceGrant + "+pkce", "refresh_token"]]
                    },
                ]],
            ])
        }
        router.get("me") { request, _ in
            guard let user = SimulatorAuth.user(of: request, store: store) else { return SimulatorAuth.openEOUnauthorized(store, request) }
            var me: [String: Any] = ["user_id": user, "name": user]
            if let budget = store.configuration.budget {
                me["budget"] = ((budget - store.spent(by: user)) * 1000).rounded() / 1000
            }
            return SimulatorJSON.response(object: me)
        }
        router.get("processes") { _, _ in
            SimulatorJSON.response(object: ["processes": Self.predefinedProcesses, "links": []])
        }
        router.put("process_graphs/:id") { request, context in
            guard let user = SimulatorAuth.user(of: request, store: store) else { return SimulatorAuth.openEOUnauthorized(store, request) }
            let id = context.parameters.get("id") ?? ""
            guard var body = try await SimulatorJSON.body(request) as? [String: Any], body["process_graph"] is [String: Any] else {
                return Self.error(400, "ProcessGraphMissing", "No valid process graph specified.")
            }
            body["id"] = id
            store.storeProcessGraph(try JSONSerialization.data(withJSONObject: body), id: id, user: user)
            return Response(status: .ok)
        }
        router.get("process_graphs/:id") { request, context in
            guard let user = SimulatorAuth.user(of: request, store: store) else { return SimulatorAuth.openEOUnauthorized(store, request) }
            let id = context.parameters.get("id") ?? ""
            guard let stored = store.processGraph(id, user: user) else {
                return Self.error(404, "ProcessGraphNotFound", "User-defined process '\(id)' does not exist.")
            }
            return SimulatorJSON.response(data: stored)
        }
        router.post("jobs") { request, _ in
            guard let user = SimulatorAuth.user(of: request, store: store) else { return SimulatorAuth.openEOUnauthorized(store, request) }
            guard let body = try await SimulatorJSON.body(request) as? [String: Any],
                let process = body["process"] as? [String: Any], let graph = process["process_graph"] as? [String: Any], !graph.isEmpty
            else {
                return Self.error(400, "ProcessGraphMissing", "No valid process graph specified.")
            }
            let processID = graph.values.compactMap { ($0 as? [String: Any])?["process_id"] as? String }.sorted().first ?? "unknown"
            let job = store.createJob(api: .openEO, user: user, title: body["title"] as? String, processID: processID,
                                      areaKm2: SimulatedJob.areaKm2(in: graph))
            let location = SimulatorJSON.origin(request) + "/openeo/jobs/\(job.id)"
            return Response(status: .created, headers: [.location: location, .init("OpenEO-Identifier")!: job.id])
        }
        router.get("jobs") { request, _ in
            guard let user = SimulatorAuth.user(of: request, store: store) else { return SimulatorAuth.openEOUnauthorized(store, request) }
            let limit = request.uri.queryParameters.get("limit", as: Int.self) ?? 100
            let offset = request.uri.queryParameters.get("offset", as: Int.self) ?? 0
            let all = store.jobs(of: user, api: .openEO)
            let now = Date()
            let page = all.dropFirst(offset).prefix(max(1, limit))
            var links: [[String: Any]] = []
            if offset + page.count < all.count {
                links.append(["rel": "next", "href": SimulatorJSON.origin(request) + "/openeo/jobs?limit=\(limit)&offset=\(offset + page.count)"])
            }
            return SimulatorJSON.response(object: ["jobs": page.map { Self.metadata($0, now: now) }, "links": links])
        }
        router.get("jobs/:id") { request, context in
            guard let user = SimulatorAuth.user(of: request, store: store) else { return SimulatorAuth.openEOUnauthorized(store, request) }
            guard let job = store.job(context.parameters.get("id") ?? "", user: user) else { return Self.jobNotFound() }
            return SimulatorJSON.response(data: Data(Self.metadataJSON(job, now: Date(), rates: store.configuration.costs).utf8))
        }
        router.delete("jobs/:id") { request, context in
            guard let user = SimulatorAuth.user(of: request, store: store) else { return SimulatorAuth.openEOUnauthorized(store, request) }
            guard store.cancel(context.parameters.get("id") ?? "", user: user) != nil else { return Self.jobNotFound() }
            return Response(status: .noContent)
        }
        router.post("jobs/:id/results") { request, context in
            guard let user = SimulatorAuth.user(of: request, store: store) else { return SimulatorAuth.openEOUnauthorized(store, request) }
            switch store.start(context.parameters.get("id") ?? "", user: user) {
            case .started, .alreadyStarted:
                return Response(status: .accepted)
            case .limitReached(let limit):
                return Self.error(429, "ConcurrentJobLimit", "Job was not started because concurrent job limit (\(limit)) is reached.", retryAfter: 5)
            case .notFound:
                return Self.jobNotFound()
            }
        }
        router.delete("jobs/:id/results") { request, context in
            guard let user = SimulatorAuth.user(of: request, store: store) else { return SimulatorAuth.openEOUnauthorized(store, request) }
            guard store.cancel(context.parameters.get("id") ?? "", user: user) != nil else { return Self.jobNotFound() }
            return Response(status: .noContent)
        }
        router.get("jobs/:id/results") { request, context in
            guard let user = SimulatorAuth.user(of: request, store: store) else { return SimulatorAuth.openEOUnauthorized(store, request) }
            guard let job = store.job(context.parameters.get("id") ?? "", user: user) else { return Self.jobNotFound() }
            let now = Date()
            guard job.phase(at: now) == .finished else {
                return Self.error(400, "JobNotFinished", "Batch job has not finished computing the results yet. Please try again later or contact our support.")
            }
            let assetBase = SimulatorJSON.origin(request) + "/assets/\(job.id)"
            let size = store.configuration.assetSize
            var assets: [String: Any] = [
                "openEO.tif": [
                    "href": "\(assetBase)/openEO.tif", "type": "image/tiff; application=geotiff", "roles": ["data"],
                    "title": "openEO.tif", "file:size": size,
                ],
                "job-results.json": [
                    "href": "\(assetBase)/job-results.json", "type": "application/json", "roles": ["metadata"], "file:size": size,
                ],
            ]
            if store.configuration.hostileAssets {
                assets["escape"] = ["href": "\(assetBase)/..%2F..%2Fescaped.txt", "roles": ["data"]]
                assets["passwd"] = ["href": "file:///etc/passwd", "roles": ["data"]]
                assets["script"] = ["href": "javascript:alert(document.cookie)", "roles": ["data"]]
            }
            return SimulatorJSON.response(object: [
                "stac_version": "1.0.0", "type": "Feature", "id": job.id, "geometry": NSNull(),
                "properties": ["datetime": SimulatorJSON.timestamp(job.created), "title": job.title ?? job.id],
                "assets": assets,
                "links": [["rel": "self", "href": SimulatorJSON.origin(request) + "/openeo/jobs/\(job.id)/results", "type": "application/json"]],
            ])
        }
        router.get("jobs/:id/logs") { request, context in
            guard let user = SimulatorAuth.user(of: request, store: store) else { return SimulatorAuth.openEOUnauthorized(store, request) }
            guard let job = store.job(context.parameters.get("id") ?? "", user: user) else { return Self.jobNotFound() }
            let now = Date()
            var logs: [[String: Any]] = [["id": "1", "level": "info", "message": "Job \(job.id) created.", "time": SimulatorJSON.timestamp(job.created)]]
            if let started = job.started {
                logs.append(["id": "2", "level": "info", "message": "Job started.", "time": SimulatorJSON.timestamp(started)])
            }
            if job.phase(at: now) == .failed {
                logs.append(["id": "3", "level": "error", "message": job.failureMessage, "time": SimulatorJSON.timestamp(now)])
            }
            if request.uri.queryParameters.get("level") == "error" {
                logs = logs.filter { $0["level"] as? String == "error" }
            }
            return SimulatorJSON.response(object: ["level": request.uri.queryParameters.get("level") ?? "debug", "logs": logs, "links": []])
        }
    }

    /// The predefined processes of `GET /processes`: the two a batch job needs, with the parameter
    /// schemas of the openEO process specifications.
    static var predefinedProcesses: [[String: Any]] { [
        [
            "id": "load_collection", "summary": "Load a collection",
            "parameters": [
                ["name": "id", "schema": ["type": "string", "subtype": "collection-id"]],
                ["name": "spatial_extent", "schema": [
                    ["type": "object", "subtype": "bounding-box"], ["type": "object", "subtype": "geojson"],
                    ["type": "object", "subtype": "datacube"], ["type": "null"],
                ]],
                ["name": "temporal_extent", "schema": [["type": "array", "subtype": "temporal-interval"], ["type": "null"]]],
                ["name": "bands", "schema": [["type": "array"], ["type": "null"]], "optional": true, "default": NSNull()],
                ["name": "properties", "schema": [["type": "object"], ["type": "null"]], "optional": true, "default": NSNull()],
            ],
            "returns": ["schema": ["type": "object", "subtype": "datacube"]],
        ],
        [
            "id": "save_result", "summary": "Save processed data",
            "parameters": [
                ["name": "data", "schema": ["type": "object", "subtype": "datacube"]],
                ["name": "format", "schema": ["type": "string", "subtype": "output-format"]],
                ["name": "options", "schema": ["type": "object"], "optional": true, "default": [String: Any]()],
            ],
            "returns": ["schema": ["type": "boolean"]],
        ],
    ] }

    static func status(_ phase: SimulatedJob.Phase) -> String {
        switch phase {
        case .created: "created"
        case .queued: "queued"
        case .running: "running"
        case .finished: "finished"
        case .failed: "error"
        case .canceled: "canceled"
        }
    }

    static func metadata(_ job: SimulatedJob, now: Date) -> [String: Any] {
        var metadata: [String: Any] = [
            "id": job.id, "status": self.status(job.phase(at: now)), "created": SimulatorJSON.timestamp(job.created),
            "updated": SimulatorJSON.timestamp(now),
        ]
        if let title = job.title { metadata["title"] = title }
        if let progress = job.progress(at: now) { metadata["progress"] = progress }
        return metadata
    }

    /// ``metadata(_:now:)`` as JSON text, built by hand: the status route must serve thousands per
    /// second. A job that started also reports its `costs` and `usage` so far.
    static func metadataJSON(_ job: SimulatedJob, now: Date, rates: SimulatorConfiguration.CostRates) -> String {
        var text = "{\"id\":\(SimulatorJSON.quoted(job.id)),\"status\":\"\(self.status(job.phase(at: now)))\""
        text += ",\"created\":\"\(SimulatorJSON.timestamp(job.created))\",\"updated\":\"\(SimulatorJSON.timestamp(now))\""
        if let title = job.title { text += ",\"title\":\(SimulatorJSON.quoted(title))" }
        if let progress = job.progress(at: now) { text += ",\"progress\":\(Int(progress))" }
        if job.started != nil {
            let ran = (job.runSeconds(at: now) * 1000).rounded() / 1000
            text += ",\"costs\":\(job.costs(at: now, rates: rates))"
            text += ",\"usage\":{\"cpu\":{\"value\":\(ran * 2),\"unit\":\"cpu-seconds\"},\"memory\":{\"value\":\(ran * 2048),\"unit\":\"mb-seconds\"}"
            text += ",\"duration\":{\"value\":\(ran),\"unit\":\"seconds\"}}"
        }
        return text + "}"
    }

    static func jobNotFound() -> Response {
        self.error(404, "JobNotFound", "The batch job does not exist.")
    }

    static func error(_ status: Int, _ code: String, _ message: String, retryAfter: Int? = nil) -> Response {
        var headers: HTTPFields = [:]
        if let retryAfter { headers[.retryAfter] = "\(retryAfter)" }
        return SimulatorJSON.response(
            object: ["id": UUID().uuidString, "code": code, "message": message, "links": []],
            status: .init(code: status),
            headers: headers
        )
    }
}
