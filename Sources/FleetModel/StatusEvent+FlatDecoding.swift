import Foundation

extension StatusEvent {
    /// The event read by ``FlatJSONReader`` when its body is a flat object (no assets or usage,
    /// ASCII text without escapes, every member known and given once, the schema this type
    /// reads); nil otherwise, and then `JSONDecoder` decides. For the bodies it reads, the result
    /// is the event `JSONDecoder` makes of them, at a fraction of the cost: status events are
    /// most of what the recorder reads, and decoding was most of its CPU.
    static func decodeFlat(_ body: [UInt8]) -> StatusEvent? {
        var fields = Fields()
        var reader = FlatJSONReader(body)
        guard reader.readObject({ fields.set($0, $1) }) == true else { return nil }
        return fields.event
    }

    /// The members read so far, each at most once.
    private struct Fields {
        var seen: Set<String> = []
        var schema: String?, id: UUID?, task: String?, tile: String?, attempt: Int?, status: EventStatus?, time: Date?
        var rawStatus: String?, backend: String?, backendJobID: String?, message: String?, error: String?, worker: String?
        var progress: Double?, costs: Double?
        var cancelUnconfirmed: Bool?, released: Bool?, parked: Bool?

        var event: StatusEvent? {
            guard schema == StatusEvent.schema, let id, let task, let tile, let attempt, let status, let time else { return nil }
            var event = StatusEvent(id: id, task: task, tile: tile, attempt: attempt, status: status, rawStatus: rawStatus,
                                    backend: backend, backendJobID: backendJobID, progress: progress, message: message,
                                    error: error, worker: worker, time: time)
            event.cancelUnconfirmed = cancelUnconfirmed
            event.costs = costs
            event.released = released
            event.parked = parked
            return event
        }

        /// Takes one member; false for anything the flat path leaves to `JSONDecoder`.
        mutating func set(_ key: String, _ value: FlatJSONReader.Value) -> Bool {
            guard seen.insert(key).inserted else { return false }
            switch key {
            case "schema": return required(value) { schema = $0 }
            case "id": return required(value) { id = UUID(uuidString: $0) }
            case "task": return required(value) { task = $0 }
            case "tile": return required(value) { tile = $0 }
            case "status": return required(value) { status = EventStatus(rawValue: $0) }
            case "time": return required(value) { time = MessageCoding.parseTime($0) }
            case "attempt":
                guard case .number(let text) = value, !text.contains(where: { ".eE".contains($0) }),
                      let number = Int(text) else { return false }
                attempt = number
                return true
            case "raw_status": return optional(value, &rawStatus)
            case "backend": return optional(value, &backend)
            case "backend_job_id": return optional(value, &backendJobID)
            case "message": return optional(value, &message)
            case "error": return optional(value, &error)
            case "worker": return optional(value, &worker)
            case "progress": return optional(value, &progress)
            case "costs": return optional(value, &costs)
            case "cancel_unconfirmed": return optional(value, &cancelUnconfirmed)
            case "released": return optional(value, &released)
            case "parked": return optional(value, &parked)
            case "assets", "usage": return value == .null
            default: return false
            }
        }

        /// A required string member, turned into its field by `assign`; a null is not taken.
        private func required(_ value: FlatJSONReader.Value, _ assign: (String) -> Void) -> Bool {
            guard case .string(let text) = value else { return false }
            assign(text)
            return true
        }

        private func optional(_ value: FlatJSONReader.Value, _ field: inout String?) -> Bool {
            switch value {
            case .null: return true
            case .string(let text): field = text; return true
            default: return false
            }
        }

        private func optional(_ value: FlatJSONReader.Value, _ field: inout Double?) -> Bool {
            switch value {
            case .null: return true
            case .number(let text):
                // An exponent may underflow or overflow, where JSONDecoder's verdict is its own.
                guard !text.contains(where: { "eE".contains($0) }), let number = Double(text), number.isFinite else { return false }
                field = number
                return true
            default: return false
            }
        }

        private func optional(_ value: FlatJSONReader.Value, _ field: inout Bool?) -> Bool {
            switch value {
            case .null: return true
            case .bool(let flag): field = flag; return true
            default: return false
            }
        }
    }
}
