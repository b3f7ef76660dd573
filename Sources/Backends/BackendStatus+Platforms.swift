extension BackendStatus {
    /// openEO API 1.x job statuses (`GET /jobs/{id}` → `status`).
    public static let openEOTable: [String: BackendStatus] = [
        "created": .submitted,
        "queued": .submitted,
        "running": .running,
        "finished": .finished,
        "error": .failed,
        "canceled": .canceled,
    ]

    /// OGC API – Processes 1.0 `statusCode` values (also used by EOCanvas).
    public static let ogcTable: [String: BackendStatus] = [
        "accepted": .submitted,
        "running": .running,
        "successful": .finished,
        "failed": .failed,
        "dismissed": .canceled,
    ]

    /// Maps an openEO status; `nil` for a word the API does not define.
    public init?(openEO raw: String) {
        guard let status = Self.openEOTable[raw.lowercased()] else { return nil }
        self = status
    }

    /// Maps an OGC API – Processes (or EOCanvas) status; `nil` for a word the standard does not define.
    public init?(ogc raw: String) {
        guard let status = Self.ogcTable[raw.lowercased()] else { return nil }
        self = status
    }
}
