import Foundation
import Hummingbird

/// A small EOCanvas (WEkEO serverless functions) route set under `/eocanvas`: the HDA broker's
/// `gettoken` / `refreshtoken`, `POST /serverless/processes/{snap-function|dataTailor}/execution`
/// with base64 inputs, `GET|DELETE /serverless/jobs/{id}`, `/logs`, and `/results` as a paginated
/// list of links (two per page, `next-page` / `prev-page` items).
struct EOCanvasRoutes: Sendable {
    let store: SimulatorStore
    static let functions: [String: String] = ["snap-function": "snap_graph", "dataTailor": "epct_chain"]

    func register(on router: RouterGroup<SimulatorRequestContext>) {
        let store = self.store
        router.post("hda-broker/gettoken") { request, _ in
            let body = try await SimulatorJSON.body(request) as? [String: Any]
            guard let user = body?["username"] as? String, let password = body?["password"] as? String,
                store.configuration.users[user] == password
            else {
                store.recordAuthFailure()
                return SimulatorJSON.response(object: ["detail": "Invalid user credentials"], status: .unauthorized)
            }
            return Self.token(for: user, store: store)
        }
        router.post("hda-broker/refreshtoken") { request, _ in
            let body = try await SimulatorJSON.body(request) as? [String: Any]
            guard let refresh = body?["refresh_token"] as? String, let user = store.user(forRefreshToken: refresh) else {
                store.recordAuthFailure()
                return SimulatorJSON.response(object: ["detail": "Invalid refresh token"], status: .unauthorized)
            }
            return Self.token(for: user, store: store)
        }
        router.post("serverless/processes/:pid/execution") { request, context in
            guard let user = SimulatorAuth.user(of: request, store: store) else { return Self.unauthorized(store) }
            let processID = context.parameters.get("pid") ?? ""
            guard let documentKey = Self.functions[processID] else {
                return SimulatorJSON.response(object: ["detail": "Process \(processID) not found"], status: .notFound)
            }
            let body = try await SimulatorJSON.body(request) as? [String: Any]
            guard let inputs = body?["inputs"] as? [String: Any], let encoded = inputs[documentKey] as? String,
                Data(base64Encoded: encoded) != nil
            else {
                return SimulatorJSON.response(object: ["detail": "inputs.\(documentKey) must be base64-encoded"], status: .badRequest)
            }
            let job = store.createJob(api: .eocanvas, user: user, title: nil, processID: processID)
            if case .limitReached(let limit) = store.start(job.id, user: user) {
                _ = store.cancel(job.id, user: user)
                return SimulatorJSON.response(
                    object: ["detail": "Quota exceeded: at most \(limit) running jobs"],
                    status: .tooManyRequests,
                    headers: [.retryAfter: "5"]
                )
            }
            return SimulatorJSON.response(object: Self.job(job, now: Date()), status: .created)
        }
        router.get("serverless/jobs/:id") { request, context in
            guard let user = SimulatorAuth.user(of: request, store: store) else { return Self.unauthorized(store) }
            guard let job = store.job(context.parameters.get("id") ?? "", user: user) else { return Self.notFound() }
            return SimulatorJSON.response(object: Self.job(job, now: Date()))
        }
        router.delete("serverless/jobs/:id") { request, context in
            guard let user = SimulatorAuth.user(of: request, store: store) else { return Self.unauthorized(store) }
            guard let job = store.cancel(context.parameters.get("id") ?? "", user: user) else { return Self.notFound() }
            return SimulatorJSON.response(object: Self.job(job, now: Date()))
        }
        router.get("serverless/jobs/:id/logs") { request, context in
            guard let user = SimulatorAuth.user(of: request, store: store) else { return Self.unauthorized(store) }
            guard let job = store.job(context.parameters.get("id") ?? "", user: user) else { return Self.notFound() }
            // The workflow executor's logfmt lines, as the EOCanvas notebook shows them.
            func line(_ date: Date, _ level: String, _ message: String, _ rest: String = "") -> [String: Any] {
                let escaped = message.replacingOccurrences(of: "\"", with: "\\\"")
                return ["timestamp": SimulatorJSON.timestamp(date),
                        "message": "time=\"\(SimulatorJSON.timestamp(date))\" level=\(level) msg=\"\(escaped)\"\(rest.isEmpty ? "" : " " + rest)"]
            }
            var logs: [[String: Any]] = [line(job.created, "info", "Starting Workflow Executor", "version=v3.5.7")]
            if job.phase(at: Date()) == .failed {
                logs.append(line(Date(), "error", job.failureMessage))
            }
            return SimulatorJSON.response(object: logs)
        }
        router.get("serverless/jobs/:id/results") { request, context in
            guard let user = SimulatorAuth.user(of: request, store: store) else { return Self.unauthorized(store) }
            guard let job = store.job(context.parameters.get("id") ?? "", user: user) else { return Self.notFound() }
            guard job.phase(at: Date()) == .finished else {
                return SimulatorJSON.response(object: ["detail": "Job \(job.id) has no results"], status: .notFound)
            }
            let page = max(1, request.uri.queryParameters.get("page", as: Int.self) ?? 1)
            let names = ["output/result_1.nc", "output/result_2.nc", "output/manifest.json"]
            let pageSize = 2
            var items: [[String: Any]] = names.dropFirst((page - 1) * pageSize).prefix(pageSize).map {
                ["href": "/assets/\(job.id)/\($0.split(separator: "/").last!)", "title": $0, "rel": "result"]
            }
            let resultsPath = "/eocanvas/serverless/jobs/\(job.id)/results"
            if page * pageSize < names.count {
                items.append(["href": "\(resultsPath)?page=\(page + 1)", "title": "next-page", "rel": "next"])
            }
            if page > 1 {
                items.append(["href": "\(resultsPath)?page=\(page - 1)", "title": "prev-page", "rel": "prev"])
            }
            return SimulatorJSON.response(object: items)
        }
    }

    static func token(for user: String, store: SimulatorStore) -> Response {
        let token = store.issueToken(for: user)
        return SimulatorJSON.response(object: [
            "access_token": token.access, "refresh_token": token.refresh, "expires_in": Int(store.configuration.tokenLifetime),
        ])
    }

    static func job(_ job: SimulatedJob, now: Date) -> [String: Any] {
        [
            "jobID": job.id, "status": OGCRoutes.status(job.phase(at: now)), "created": SimulatorJSON.timestamp(job.created),
            "started": job.started.map(SimulatorJSON.timestamp) ?? NSNull(), "updated": SimulatorJSON.timestamp(now),
            "finished": [.finished, .failed, .canceled].contains(job.phase(at: now)) ? job.end.map(SimulatorJSON.timestamp) ?? NSNull() : NSNull(),
        ]
    }

    static func unauthorized(_ store: SimulatorStore) -> Response {
        store.recordAuthFailure()
        return SimulatorJSON.response(object: ["detail": "Not authenticated"], status: .unauthorized, headers: [.wwwAuthenticate: "Bearer"])
    }

    static func notFound() -> Response {
        SimulatorJSON.response(object: ["detail": "Job not found"], status: .notFound)
    }
}
