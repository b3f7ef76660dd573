import FleetModel

/// Task settings a spec may leave out, from the fleet configuration's `defaults:` section.
public struct TaskDefaults: Sendable, Hashable {
    public var backend: String?
    public var grid: String
    public var tileInput: TileInput
    public var maxAttempts: Int
    public var maxRuntimeSeconds: Int?
    public var priority: Int
    public var outputFormat: String?

    public init(backend: String? = nil, grid: String = "km:20", tileInput: TileInput = .geometry, maxAttempts: Int = 3,
                maxRuntimeSeconds: Int? = nil, priority: Int = 0, outputFormat: String? = nil) {
        self.backend = backend
        self.grid = grid
        self.tileInput = tileInput
        self.maxAttempts = maxAttempts
        self.maxRuntimeSeconds = maxRuntimeSeconds
        self.priority = priority
        self.outputFormat = outputFormat
    }
}
