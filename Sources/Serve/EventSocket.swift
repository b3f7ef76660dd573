import FleetModel
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Storage

/// `/ws/tasks/{id}/events?token=…`: a task's status events as they are recorded. First
/// `{"type": "init", …}` with the latest 100 events as `data`, then `{"type": "events", "task_id",
/// "message": null, "data": [events]}` each second new ones were recorded. No or an unknown token:
/// close 1008; another user's or an unknown task, or a failing read: `{"type": "error"}` and 1011.
public struct EventSocket: Sendable {
    let fleet: ServeFleet
    let tokens: BearerTokens
    /// How far before the last event a read starts again (batches may commit out of their time order).
    static let overlap: TimeInterval = 10

    public init(fleet: ServeFleet, tokens: BearerTokens) {
        self.fleet = fleet
        self.tokens = tokens
    }

    public func register(on router: Router<BasicWebSocketRequestContext>) {
        router.ws("ws/tasks/:id/events") { inbound, outbound, context in
            let id = context.requestContext.parameters.get("id") ?? ""
            guard let token = context.request.uri.queryParameters.get("token"), let user = tokens.user(for: Substring(token)) else {
                try await outbound.close(.policyViolation, reason: "a valid token is required (?token=…)")
                return
            }
            let first: [TaskEvent]
            do {
                _ = try await fleet.summary(id, user: user)
                first = try await fleet.events(task: id, since: nil, limit: 100)
            } catch {
                let text = (error as? APIError)?.message ?? "internal error"
                try await outbound.write(.text(StatusSocket.message("error", taskID: id, message: text, data: .null)))
                try await outbound.close(.unexpectedServerError, reason: String(text.prefix(100)))
                return
            }
            try await outbound.write(.text(StatusSocket.message("init", taskID: id, message: "the latest \(first.count) events, then new ones",
                                                                data: .array(first.map(FleetRoutes.event)))))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { for try await _ in inbound {} }
                group.addTask {
                    var seen = Dictionary(first.map { ($0.id, $0.recordedAt) }, uniquingKeysWith: { a, _ in a })
                    var cursor = first.last?.recordedAt ?? Date(timeIntervalSince1970: 0)
                    while true {
                        try await Task.sleep(for: .seconds(1))
                        let events: [TaskEvent]
                        do {
                            events = try await fleet.events(task: id, since: cursor.addingTimeInterval(-Self.overlap), limit: 10_000)
                        } catch {
                            context.logger.error("event stream read failed", metadata: ["task": "\(id)", "error": "\(error)"])
                            try await outbound.write(.text(StatusSocket.message("error", taskID: id, message: "internal error", data: .null)))
                            try await outbound.close(.unexpectedServerError, reason: "internal error")
                            return
                        }
                        let fresh = events.filter { seen[$0.id] == nil }
                        for event in fresh { seen[event.id] = event.recordedAt }
                        cursor = max(cursor, events.last?.recordedAt ?? cursor)
                        let horizon = cursor.addingTimeInterval(-2 * Self.overlap)
                        seen = seen.filter { $0.value >= horizon }
                        if !fresh.isEmpty {
                            try await outbound.write(.text(StatusSocket.message("events", taskID: id, message: nil, data: .array(fresh.map(FleetRoutes.event)))))
                        }
                    }
                }
                try await group.next()
                group.cancelAll()
            }
        }
    }
}
