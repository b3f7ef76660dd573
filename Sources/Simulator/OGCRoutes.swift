import Foundation
import Hummingbird

/// The OGC API – Processes 1.0 subset: landing page, conformance, processes, async execution
/// (`Prefer: respond-async` → 201 + `Location`), `GET /jobs`, `GET|DELETE /jobs/{id}`,
/// `GET /jobs/{id}/results`, and Part 2's deploy, replace and undeploy (``OGCDeployRoutes``).
/// Errors are RFC 7807 problem documents.
struct OGCRoutes: Sendable {
    let store: SimulatorStore
    static let processIDs = ["ndvi", "echo", "BandMath"]
    static let resultsRel = "http://www.opengis.net/def/rel/ogc/1.0/results"

    func register(on router: RouterGroup<SimulatorRequestContext>) {
        let store = self.store
        router.get("") { request, _ in
            let base = SimulatorJSON.origin(request) + "/ogc"
            return SimulatorJSON.response(object: [
                "title": "tilefleet simulator (OGC API – Processes)",
                "links": [
                    ["rel": "self", "href": base], ["rel": "http://www.opengis.net/def/rel/ogc/1.0/conformance", "href": base + "/conformance"],
                    ["rel": "http://www.opengis.net/def/rel/ogc/1.0/processes", "href": base + "/processes"],
                    ["rel": "http://www.opengis.net/def/rel/ogc/1.0/job-list", "href": base + "/jobs"],
                ],
            ])
        }
        router.get("conformance") { _, _ in
            SimulatorJSON.response(object: ["conformsTo": [
                "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/core",
                "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/json",
                "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/job-list",
                "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/dismiss",
                "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/callback",
                "http://www.opengis.net/spec/ogcapi-processes-2/1.0/conf/deploy-replace-undeploy",
                "http://www.opengis.net/spec/ogcapi-processes-2/1.0/conf/ogcapppkg",
                "http://www.opengis.net/spec/ogcapi-processes-2/1.0/conf/cwl",
            ]])
        }
        router.get("processes") { _, _ in
            SimulatorJSON.response(object: [
                "processes": (Self.processIDs + store.deployed.ids).map(Self.summary),
                "links": [],
            ])
        }
        router.get("processes/:pid") { _, context in
            let processID = context.parameters.get("pid") ?? ""
            guard Self.processIDs.contains(processID) || store.deployed.process(processID) != nil else {
                return Self.problem(404, "no-such-process", "Process \(processID) does not exist.")
            }
            var description = Self.description(processID)
            for (key, value) in store.deployed.process(processID)?.description ?? [:] { description[key] = value }
            return SimulatorJSON.response(object: description)
        }
        OGCDeployRoutes(store: store).register(on: router)
        router.post("processes/:pid/execution") { request, context in
            guard let user = SimulatorAuth.user(of: request, store: store) else { return SimulatorAuth.problemUnauthorized(store) }
            let processID = context.parameters.get("pid") ?? ""
            guard Self.processIDs.contains(processID) || store.deployed.process(processID) != nil else {
                return Self.problem(404, "no-such-process", "Process \(processID) does not exist.")
            }
            guard let body = try await SimulatorJSON.body(request) as? [String: Any], body["inputs"] is [String: Any] else {
                return Self.problem(400, "invalid-parameter-value", "The execute request needs an inputs object.")
            }
            let job = store.createJob(api: .ogc, user: user, title: body["title"] as? String, processID: processID)
            if case .limitReached(let limit) = store.start(job.id, user: user) {
                _ = store.cancel(job.id, user: user)
                var response = Self.problem(429, "too-many-jobs", "Concurrent job limit (\(limit)) reached; try again later.")
                response.headers[.retryAfter] = "5"
                return response
            }
            let origin = SimulatorJSON.origin(request)
            let prefersAsync = request.headers[.init("Prefer")!]?.contains("respond-async") ?? false
            if !prefersAsync || store.configuration.ogcIgnorePrefer {
                // Synchronous execution: wait for the job, answer its outputs.
                let wait = job.queueSeconds + job.runSeconds
                try await Task.sleep(for: .milliseconds(Int(wait * 1000)))
                guard let finished = store.job(job.id, user: user), finished.phase(at: Date()) == .finished else {
                    return Self.problem(500, "execution-failed", "Simulated failure of the synchronous execution of \(processID).")
                }
                return SimulatorJSON.response(object: Self.outputs(finished, origin: origin))
            }
            if let subscriber = SubscriberCalls.Subscriber(body["subscriber"]), let started = store.job(job.id, user: user)?.started {
                let runningAt = started.addingTimeInterval(job.queueSeconds)
                store.subscriberCalls.schedule(subscriber, runningAt: runningAt, endsAt: runningAt.addingTimeInterval(job.runSeconds),
                                               phase: { store.job(job.id, user: user)?.phase(at: $0) }) { phase in
                    guard let current = store.job(job.id, user: user) else { return [:] }
                    return phase == .finished ? Self.outputs(current, origin: origin) : Self.statusInfo(current, now: Date(), origin: origin)
                }
            }
            let location = origin + "/ogc/jobs/\(job.id)"
            switch store.configuration.ogcCreatedBody {
            case "null":
                return SimulatorJSON.response(data: Data("null".utf8), status: .created, headers: [.location: location])
            case "empty":
                return SimulatorJSON.response(data: Data("{}".utf8), status: .created, headers: [.location: location])
            default:
                return SimulatorJSON.response(object: Self.statusInfo(job, now: Date(), origin: origin), status: .created, headers: [.location: location])
            }
        }
        router.get("jobs") { request, _ in
            guard let user = SimulatorAuth.user(of: request, store: store) else { return SimulatorAuth.problemUnauthorized(store) }
            let now = Date()
            let origin = SimulatorJSON.origin(request)
            return SimulatorJSON.response(object: [
                "jobs": store.jobs(of: user, api: .ogc).map { Self.statusInfo($0, now: now, origin: origin) },
                "links": [],
            ])
        }
        router.get("jobs/:id") { request, context in
            guard let user = SimulatorAuth.user(of: request, store: store) else { return SimulatorAuth.problemUnauthorized(store) }
            guard let job = store.job(context.parameters.get("id") ?? "", user: user) else { return Self.noSuchJob() }
            return SimulatorJSON.response(object: Self.statusInfo(job, now: Date(), origin: SimulatorJSON.origin(request)))
        }
        router.delete("jobs/:id") { request, context in
            guard let user = SimulatorAuth.user(of: request, store: store) else { return SimulatorAuth.problemUnauthorized(store) }
            guard let job = store.cancel(context.parameters.get("id") ?? "", user: user) else { return Self.noSuchJob() }
            return SimulatorJSON.response(object: Self.statusInfo(job, now: Date(), origin: SimulatorJSON.origin(request)))
        }
        router.get("jobs/:id/results") { request, context in
            guard let user = SimulatorAuth.user(of: request, store: store) else { return SimulatorAuth.problemUnauthorized(store) }
            guard let job = store.job(context.parameters.get("id") ?? "", user: user) else { return Self.noSuchJob() }
            switch job.phase(at: Date()) {
            case .finished:
                return SimulatorJSON.response(object: Self.outputs(job, origin: SimulatorJSON.origin(request)))
            case .failed:
                return Self.problem(500, "job-failed", job.failureMessage)
            default:
                return Self.problem(404, "result-not-ready", "The results of job \(job.id) are not ready.")
            }
        }
    }

    /// A process summary, as `GET /processes` lists it.
    static func summary(_ processID: String) -> [String: Any] {
        ["id": processID, "version": "1.0.0", "jobControlOptions": ["async-execute", "dismiss"]]
    }

    /// A process description (`GET /processes/{id}`), shaped like pygeoapi's: `inputs` by id with a
    /// schema and `minOccurs`. Every simulated process takes the same optional inputs.
    static func description(_ processID: String) -> [String: Any] {
        let optional: (Any) -> [String: Any] = { ["schema": $0, "minOccurs": 0, "maxOccurs": 1] }
        return [
            "id": processID, "version": "1.0.0", "title": processID,
            "jobControlOptions": ["async-execute", "sync-execute", "dismiss"],
            "inputs": [
                "geometry": optional(["format": "geojson-geometry"]),
                "bbox": optional(["type": "object", "format": "ogc-bbox"]),
                "tile": optional(["type": "string"]),
                "datetime": optional(["type": "string"]),
                "expression": optional(["type": "string"]),
            ],
            "outputs": ["result": ["schema": ["type": "string", "contentMediaType": "image/tiff; application=geotiff"]]],
        ]
    }

    static func status(_ phase: SimulatedJob.Phase) -> String {
        switch phase {
        case .created, .queued: "accepted"
        case .running: "running"
        case .finished: "successful"
        case .failed: "failed"
        case .canceled: "dismissed"
        }
    }

    static func statusInfo(_ job: SimulatedJob, now: Date, origin: String) -> [String: Any] {
        let phase = job.phase(at: now)
        var info: [String: Any] = [
            "jobID": job.id, "processID": job.processID, "type": "process", "status": self.status(phase),
            "created": SimulatorJSON.timestamp(job.created), "updated": SimulatorJSON.timestamp(now),
            "progress": Int(job.progress(at: now) ?? 0),
            "links": [
                ["href": "\(origin)/ogc/jobs/\(job.id)", "rel": "self", "type": "application/json"],
                ["href": "\(origin)/ogc/jobs/\(job.id)/results", "rel": self.resultsRel, "type": "application/json"],
            ],
        ]
        if let title = job.title { info["title"] = title }
        if let started = job.started { info["started"] = SimulatorJSON.timestamp(started) }
        switch phase {
        case .failed: info["message"] = job.failureMessage
        case .canceled: info["message"] = "Job dismissed."
        case .finished: info["message"] = "Job completed."
        default: info["message"] = "Job \(self.status(phase))."
        }
        return info
    }

    /// A results document: one output by reference, one inline value.
    static func outputs(_ job: SimulatedJob, origin: String) -> [String: Any] {
        [
            "result": ["href": "\(origin)/assets/\(job.id)/result.tif", "type": "image/tiff; application=geotiff", "title": "Result"],
            "summary": ["value": ["job": job.id, "pixels": 1_000_000], "mediaType": "application/json"],
        ]
    }

    static func noSuchJob() -> Response {
        self.problem(404, "no-such-job", "The job does not exist.")
    }

    static func problem(_ status: Int, _ type: String, _ detail: String) -> Response {
        SimulatorJSON.response(
            object: [
                "type": "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/\(type)",
                "title": type, "status": status, "detail": detail,
            ],
            status: .init(code: status),
            headers: [.contentType: "application/problem+json"]
        )
    }
}
