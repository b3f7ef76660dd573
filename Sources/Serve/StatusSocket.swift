import FleetModel
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging

/// The APEx websockets: `/ws/upscale_tasks/{id}?token=…&interval=…` pushes the task (as
/// `GET /upscale_tasks/{id}` shows it) and `/ws/jobs_status?token=…&interval=…` the user's tasks
/// and jobs. First `{"type": "init", …, "data": null}`, then `{"type": "status", …, "data": …}`
/// every `interval` seconds (10 by default, 1…3600) and, at most once a second, as soon as the
/// task's tiles end (`NOTIFY tilefleet_tiles` from the recorder, cancel, retry, submit), until the
/// task is final, then a normal close.
/// No or an unknown token: close 1008 (policy violation); an error: `{"type": "error", …}` and
/// close 1011.
public struct StatusSocket: Sendable {
    let routes: APExRoutes
    let tokens: BearerTokens

    public init(routes: APExRoutes, tokens: BearerTokens) {
        self.routes = routes
        self.tokens = tokens
    }

    public func register(on router: Router<BasicWebSocketRequestContext>) {
        router.ws("ws/upscale_tasks/:id") { inbound, outbound, context in
            let id = context.requestContext.parameters.get("id") ?? ""
            try await serve(inbound, outbound, context, taskID: id) { user in try await routes.task(id, user: user) }
        }
        router.ws("ws/jobs_status") { inbound, outbound, context in
            try await serve(inbound, outbound, context, taskID: nil) { user in try await routes.jobsStatus(user: user) }
        }
    }

    /// One message of the stream.
    static func message(_ type: String, taskID: String?, message: String?, data: JSONValue) -> String {
        JSONValue.object([
            "type": .string(type), "task_id": taskID.map(JSONValue.string) ?? .null,
            "message": message.map(JSONValue.string) ?? .null, "data": data,
        ]).canonicalJSON
    }

    /// The interval asked for, in seconds; nil when it is not a whole number within 1…3600.
    static func interval(_ text: String?) -> Int? {
        guard let text else { return 10 }
        guard let value = Int(text), (1...3600).contains(value) else { return nil }
        return value
    }

    private func serve(_ inbound: WebSocketInboundStream, _ outbound: WebSocketOutboundWriter,
                       _ context: WebSocketRouterContext<BasicWebSocketRequestContext>, taskID: String?,
                       data: @escaping @Sendable (String) async throws -> JSONValue) async throws {
        let query = context.request.uri.queryParameters
        guard let token = query.get("token"), let user = tokens.user(for: Substring(token)) else {
            try await outbound.close(.policyViolation, reason: "a valid token is required (?token=…)")
            return
        }
        guard let seconds = Self.interval(query.get("interval")) else {
            try await outbound.write(.text(Self.message("error", taskID: taskID, message: "interval: expected whole seconds within 1…3600", data: .null)))
            try await outbound.close(.unexpectedServerError, reason: "bad interval")
            return
        }
        try await outbound.write(.text(Self.message("init", taskID: taskID, message: "following \(taskID.map { "task \($0)" } ?? "your tasks") every \(seconds) s", data: .null)))
        let changes = try await routes.fleet.database.listen("tilefleet_tiles")
        let changed = ChangeFlag()
        try await withThrowingTaskGroup(of: Void.self) { group in
            // The client's frames are read (and dropped) so its close is noticed.
            group.addTask { for try await _ in inbound {} }
            // Tiles that ended: this task's (payload `<task>` or `<task> <backend>`), or any for /ws/jobs_status.
            group.addTask {
                for await change in changes where taskID.map({ change.payload == $0 || change.payload.hasPrefix($0 + " ") }) ?? true {
                    changed.raise()
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    let value: JSONValue
                    do {
                        value = try await data(user)
                    } catch {
                        let text = (error as? APIError)?.message ?? "internal error"
                        if !(error is APIError) { context.logger.error("websocket update failed", metadata: ["error": "\(error)"]) }
                        try await outbound.write(.text(Self.message("error", taskID: taskID, message: text, data: .null)))
                        try await outbound.close(.unexpectedServerError, reason: text.count > 100 ? String(text.prefix(100)) : text)
                        return
                    }
                    try await outbound.write(.text(Self.message("status", taskID: taskID, message: nil, data: value)))
                    if taskID != nil, let status = value["status"]?.stringValue, APExStatus(rawValue: status)?.isFinal == true {
                        try await outbound.close(.normalClosure, reason: "task \(status)")
                        return
                    }
                    let due = ContinuousClock.now + .seconds(seconds)
                    repeat {
                        try await Task.sleep(for: min(.seconds(1), due - ContinuousClock.now))
                    } while ContinuousClock.now < due && !changed.take()
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }
}
