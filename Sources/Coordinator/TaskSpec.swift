import FleetModel
import Foundation
import Geo

/// A validated upscaling task: what to run on which backend, how the area is split into jobs, and
/// how hard to try. Stored as `tasks.spec` (jsonb) — it never holds secrets: credentials live in
/// the fleet configuration as references to environment variables or files.
public struct TaskSpec: Sendable, Hashable, Codable {
    /// Stable identifier (`tasks.id`); derived from the title when the spec gives none.
    public var id: String
    public var title: String
    /// A backend name from the fleet configuration: the task's only backend, or with ``backends``
    /// the first (most preferred) of them.
    public var backend: String
    /// A task over several backends (`backends:`), in order of preference: each tile goes to one
    /// with a free slot. nil for a task on ``backend`` alone (and in specs stored before).
    public var backends: [BackendChoice]?
    /// Whether a tile's next attempt goes back to the dispatcher, which may give it another of
    /// ``backends`` (`retry_elsewhere: true`), instead of straight back to the backend that failed.
    /// nil: the same backend.
    public var retryElsewhere: Bool?
    /// What runs per job.
    public var process: BackendJob.Process
    /// Where `process` came from (a file path or URL), for people reading the task.
    public var serviceSource: String?
    /// Fixed arguments of every job.
    public var parameters: [String: JSONValue]
    /// Backend job options (openEO `job_options`, extra OGC execute members).
    public var jobOptions: [String: JSONValue]
    public var outputFormat: String?
    /// How the tile enters the job and under which parameter names.
    public var tileInput: TileInput
    /// Whether the spec named `tile.input` itself; when it did not, the preflight may choose the input
    /// the service's parameter schema takes. nil for specs stored before this was recorded.
    public var tileInputGiven: Bool?
    public var spatialParameter: String
    public var temporalParameter: String
    public var split: Split
    public var maxAttempts: Int
    public var maxRuntimeSeconds: Int?
    /// Higher first; tasks of equal priority on one backend share it evenly.
    public var priority: Int
    /// A shell command run for each finished tile (environment: `TILEFLEET_TASK`, `TILEFLEET_TILE`,
    /// `TILEFLEET_ASSETS` as JSON).
    public var postJob: String?
    /// The OGC API – Processes application package to deploy before the task's jobs run
    /// (`service.deploy`); nil when the process is the server's own.
    public var deploy: ProcessPackage?
    /// The most credits the task may spend (`budget:`); the live cap is `tasks.budget`, which
    /// `tilefleet budget` raises.
    public var budget: Double?

    /// How the area of interest becomes jobs: tiles × windows × dimension values.
    public struct Split: Sendable, Hashable, Codable {
        /// The AOI as text (GeoJSON, WKT or a bbox), already read from its file.
        public var aoi: String
        /// Where the AOI came from (file path or `inline`).
        public var aoiSource: String
        /// Canonical grid spelling (`km:20`).
        public var grid: String
        /// Time window spelling (`2023-05-01/2023-09-30`, `seasons:2016-2023`), if any.
        public var windows: String?
        public var dimensions: [Geo.Dimension]
        /// Pieces smaller than this are dropped as slivers.
        public var minAreaKm2: Double
        /// Whether a bbox with west > east means the band across the antimeridian (else it is an
        /// error); nil in specs stored before the option existed.
        public var antimeridian: Bool?

        public init(aoi: String, aoiSource: String, grid: String, windows: String? = nil, dimensions: [Geo.Dimension] = [],
                    minAreaKm2: Double = 0.01, antimeridian: Bool = false) {
            self.aoi = aoi
            self.aoiSource = aoiSource
            self.grid = grid
            self.windows = windows
            self.dimensions = dimensions
            self.minAreaKm2 = minAreaKm2
            self.antimeridian = antimeridian ? true : nil
        }

        /// The parser for ``aoi``.
        public var aoiParser: AOIParser { AOIParser(antimeridian: antimeridian ?? false) }
    }

    public init(id: String, title: String, backend: String, process: BackendJob.Process, serviceSource: String? = nil,
                parameters: [String: JSONValue] = [:], jobOptions: [String: JSONValue] = [:], outputFormat: String? = nil,
                tileInput: TileInput = .geometry, spatialParameter: String = "spatial_extent",
                temporalParameter: String = "temporal_extent", split: Split, maxAttempts: Int = 3,
                maxRuntimeSeconds: Int? = nil, priority: Int = 0, postJob: String? = nil) {
        self.id = id
        self.title = title
        self.backend = backend
        self.process = process
        self.serviceSource = serviceSource
        self.parameters = parameters
        self.jobOptions = jobOptions
        self.outputFormat = outputFormat
        self.tileInput = tileInput
        self.spatialParameter = spatialParameter
        self.temporalParameter = temporalParameter
        self.split = split
        self.maxAttempts = maxAttempts
        self.maxRuntimeSeconds = maxRuntimeSeconds
        self.priority = priority
        self.postJob = postJob
    }

    /// The names of the backends the task may run on, in order of preference.
    public var backendNames: [String] { backends?.map(\.name) ?? [backend] }

    /// The backend job of one stored tile on `backend` (default: ``backend``): fixed parameters
    /// overlaid with the tile's own; that backend's service and `job_options` overrides applied.
    public func backendJob(tileID: String, tileParameters: [String: JSONValue], backend: String? = nil) -> BackendJob {
        var arguments = parameters
        for (name, value) in tileParameters { arguments[name] = value }
        let choice = backends?.first { $0.name == (backend ?? self.backend) }
        var options = jobOptions
        for (name, value) in choice?.jobOptions ?? [:] { options[name] = value }
        return BackendJob(process: choice?.process ?? process, arguments: arguments, title: "\(title) · \(tileID)",
                          options: options, outputFormat: outputFormat)
    }
}
