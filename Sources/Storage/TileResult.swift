import FleetModel
import Foundation

/// A stored tile with what the recorder knows of it: for `results`, `export` and STAC.
public struct TileResult: Sendable, Hashable {
    public var task: String
    public var tile: String
    public var cellID: String?
    public var windowStart: String?
    public var windowEnd: String?
    /// GeoJSON geometry text (WGS84).
    public var geometry: String?
    public var areaKm2: Double?
    public var status: String
    public var attempt: Int
    public var backendJobID: String?
    public var lastError: String?
    public var dispatchedAt: Date?
    public var submittedAt: Date?
    public var startedAt: Date?
    public var finishedAt: Date?
    public var assets: [Asset]
    /// What keeps the tile waiting while in flight (a "try later", a failing backend call), since
    /// when and after how many tries in a row; nil when nothing does.
    public var trouble: String?
    public var troubleSince: Date?
    public var troubleTries: Int?
    /// Credits the platform reported for all the tile's attempts; nil when it reported none.
    public var credits: Double?
    /// The platform's `usage` of the tile's latest attempt that reported one.
    public var usage: [String: UsageQuantity]?
    /// The backend of the tile's current attempt ("" when not known).
    public var backend: String = ""
    /// The backend of each attempt that reached a backend, in attempt order (`tile_backends`).
    public var attemptBackends: [String] = []

    /// A result link of the tile's current attempt.
    public struct Asset: Sendable, Hashable {
        public var href: String
        /// The platform's name of the asset (STAC asset key, OGC output id); nil for assets
        /// recorded before keys were kept.
        public var key: String?
        public var type: String?
        public var roles: [String]
        public var title: String?
        public var size: Int64?

        public init(href: String, key: String? = nil, type: String? = nil, roles: [String] = [], title: String? = nil, size: Int64? = nil) {
            self.href = href
            self.key = key
            self.type = type
            self.roles = roles
            self.title = title
            self.size = size
        }
    }

    public init(task: String, tile: String, cellID: String?, windowStart: String?, windowEnd: String?, geometry: String?,
                areaKm2: Double?, status: String, attempt: Int, backendJobID: String?, lastError: String?, dispatchedAt: Date?,
                submittedAt: Date?, startedAt: Date?, finishedAt: Date?, assets: [Asset]) {
        self.task = task
        self.tile = tile
        self.cellID = cellID
        self.windowStart = windowStart
        self.windowEnd = windowEnd
        self.geometry = geometry
        self.areaKm2 = areaKm2
        self.status = status
        self.attempt = attempt
        self.backendJobID = backendJobID
        self.lastError = lastError
        self.dispatchedAt = dispatchedAt
        self.submittedAt = submittedAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.assets = assets
    }

    /// Seconds from dispatch to the backend accepting the job.
    public var queueWaitSeconds: Double? { Self.seconds(dispatchedAt, submittedAt) }
    /// Seconds the backend job ran.
    public var runSeconds: Double? { Self.seconds(startedAt ?? submittedAt, finishedAt) }

    static func seconds(_ from: Date?, _ to: Date?) -> Double? {
        guard let from, let to else { return nil }
        return to.timeIntervalSince(from)
    }
}
