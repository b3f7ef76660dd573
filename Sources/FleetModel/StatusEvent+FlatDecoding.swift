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
        /// One bit per member key seen, by its place in ``keys``.
        var seen: UInt32 = 0
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

        /// The members the flat path reads.
        static let keys = ["schema", "id", "task", "tile", "status", "time", "attempt", "raw_status", "backend", "backend_job_id",
                           "message", "error", "worker", "progress", "costs", "cancel_unconfirmed", "released", "parked",
                           "assets", "usage"]

        /// Takes one member; false for anything the flat path leaves to `JSONDecoder`.
        mutating func set(_ key: String, _ value: FlatJSONReader.Value) -> Bool {
            guard let place = Self.keys.firstIndex(of: key), seen & (1 << place) == 0 else { return false }
            seen |= 1 << place
            switch key {
            case "schema": return required(value) { schema = $0 }
            case "id": return required(value) { id = Self.uuid($0) }
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

        /// A UUID in its canonical 8-4-4-4-12 hex form, either case, read without the `sscanf`
        /// behind `UUID(uuidString:)`, which decides any other text.
        static func uuid(_ text: String) -> UUID? {
            var text = text
            let bytes = text.withUTF8 { chars -> [UInt8]? in
                guard chars.count == 36 else { return nil }
                var bytes: [UInt8] = []
                bytes.reserveCapacity(16)
                var i = 0
                while i < 36 {
                    if i == 8 || i == 13 || i == 18 || i == 23 {
                        guard chars[i] == UInt8(ascii: "-") else { return nil }
                        i += 1
                        continue
                    }
                    guard let high = chars[i].hexDigitValue, let low = chars[i + 1].hexDigitValue else { return nil }
                    bytes.append(high << 4 | low)
                    i += 2
                }
                return bytes
            }
            guard let b = bytes else { return UUID(uuidString: text) }
            return UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
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
