// swift-tools-version:6.0
import Foundation
import PackageDescription

let package = Package(
    name: "tilefleet",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tilefleet", targets: ["tilefleet"]),
        // Opt-in: the benchmarks behind docs/benchmarks.md (`make bench`), not part of what operators install.
        .executable(name: "tilefleet-bench", targets: ["TilefleetBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "5.0.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.4.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
    ],
    targets: [
        // C libraries, found through pkg-config. Only the wrapper targets import these.
        .systemLibrary(
            name: "CRabbitMQ", pkgConfig: "librabbitmq",
            providers: [.apt(["librabbitmq-dev"])]
        ),
        .systemLibrary(
            name: "CPostgres", pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .systemLibrary(
            name: "CCurl", pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .systemLibrary(
            name: "CProj", pkgConfig: "proj",
            providers: [.apt(["libproj-dev"])]
        ),
        .systemLibrary(
            name: "CGEOS", pkgConfig: "geos",
            providers: [.apt(["libgeos-dev"])]
        ),

        // Safe Swift wrappers: the only code that touches C pointers.
        // Pure building blocks below everything: backoff and duration arithmetic.
        .target(name: "Timing"),
        // The dedicated threads of the C wrappers, with signals blocked.
        .target(name: "DedicatedThread"),

        .target(name: "AMQP", dependencies: [
            "CRabbitMQ", "DedicatedThread", "Timing",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
        ]),
        .target(name: "Postgres", dependencies: [
            "CPostgres", "DedicatedThread", "Timing",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
        ]),
        .target(name: "HTTP", dependencies: [
            "CCurl", "DedicatedThread",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "Geo", dependencies: ["CProj", "CGEOS", "FleetModel"]),

        // The bundled platform simulator: openEO, OGC API – Processes and EOCanvas subsets, jobs in memory.
        .target(name: "Simulator", dependencies: [
            "HTTP",
            "FleetModel",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // The fleet: message schemas and statuses shared by every role; PostgreSQL storage.
        .target(name: "FleetModel", dependencies: ["Timing", .product(name: "Crypto", package: "swift-crypto")]),
        // The one subprocess runner (posix_spawn + waitpid): post-job commands, benchmarks, tests.
        .target(name: "ChildProcess"),
        // The fleet configuration and task-spec reader every role uses: one reader, one problem type.
        .target(name: "FleetConfig", dependencies: [
            "FleetModel", "Timing",
            .product(name: "Yams", package: "Yams"),
        ]),
        .target(name: "Storage", dependencies: ["FleetModel", "Postgres"]),
        .target(name: "Messaging", dependencies: [
            "AMQP", "FleetModel", "Timing",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "Recorder", dependencies: [
            "Messaging", "Storage", "FleetModel", "AMQP", "Postgres", "Timing",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),

        // The coordinator: fleet configuration, task specs, tiling into stored tiles, dispatch within max_active.
        .target(name: "Coordinator", dependencies: [
            "Geo", "ChildProcess", "FleetConfig", "Messaging", "Storage", "Postgres", "AMQP", "FleetModel", "Backends", "HTTP", "Timing",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Yams", package: "Yams"),
        ]),

        // `GET /metrics` (Prometheus text format with HELP lines) beside each role.
        .target(name: "Telemetry", dependencies: [
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),

        // The stateless worker: submit, poll, retry and cancel backend jobs from work items.
        .target(name: "Worker", dependencies: [
            "Messaging", "Backends", "FleetConfig", "FleetModel", "AMQP", "Timing",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),

        // `tilefleet serve`: the APEx Dispatch API-compatible HTTP API, tilefleet's own routes and the live map.
        .target(name: "Serve", dependencies: [
            "Coordinator", "Storage", "FleetConfig", "FleetModel", "Geo", "Messaging", "AMQP", "Postgres", "Backends",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),

        // One adapter per processing platform (openEO, OGC API – Processes, EOCanvas, programs on the workers' hosts) behind `Backend`.
        .target(name: "Backends", dependencies: [
            "HTTP", "FleetModel", "FleetConfig", "ChildProcess", "Timing",
            .product(name: "Logging", package: "swift-log"),
        ]),

        // The readers of untrusted input, one entry point each: fuzzed by `make fuzz`, replayed over
        // the corpus in Tests/Fuzz by CoordinatorTests.
        .target(name: "FuzzTargets", dependencies: ["Coordinator", "FleetConfig", "FleetModel", "Geo", "Messaging"]),

        // Commands: argument parsing and wiring only.
        .target(name: "TilefleetCLI", dependencies: [
            "AMQP", "Postgres", "HTTP", "Geo", "Simulator", "Backends", "FleetConfig", "FleetModel", "Storage", "Messaging", "Recorder", "Timing",
            "Coordinator", "Worker", "Serve", "Telemetry",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        .executableTarget(name: "tilefleet", dependencies: [
            "TilefleetCLI",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "TilefleetBench", dependencies: [
            "TilefleetCLI", "AMQP", "ChildProcess", "Timing", "Postgres", "HTTP", "Geo", "Simulator", "Backends", "FleetConfig", "FleetModel", "Storage",
            "Messaging", "Recorder", "Coordinator",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // Tests, in two layers. `<Target>Tests` are pure: no RabbitMQ, PostgreSQL or sockets
        // (`make test-unit`). `<Target>IntegrationTests` talk to the real services started by
        // `deploy/local/services.sh`, to loopback servers and to spawned processes (`make test`).
        .target(name: "TestSupport", dependencies: ["ChildProcess", "Postgres", "Storage", "FleetModel", "FleetConfig", "HTTP", "Simulator", "Coordinator"], path: "Tests/TestSupport",
                exclude: ["RealServers"]),
        .testTarget(name: "AMQPTests", dependencies: ["AMQP"]),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP"]),
        // Vectors/: test vectors from independent implementations, read by path (see the scripts there).
        .testTarget(name: "GeoTests", dependencies: ["Geo", "FleetModel"], exclude: ["Vectors"]),
        .testTarget(name: "FleetModelTests", dependencies: ["FleetModel", "Timing"]),
        .testTarget(name: "TimingTests", dependencies: ["Timing"]),
        .testTarget(name: "MessagingTests", dependencies: ["Messaging", "AMQP", "FleetModel"]),
        .testTarget(name: "RecorderTests", dependencies: ["Recorder", "Storage", "Postgres", "AMQP", "FleetModel"]),
        .testTarget(name: "BackendsTests", dependencies: ["Backends", "FleetConfig", "HTTP", "FleetModel", "TestSupport"]),
        .testTarget(name: "FleetConfigTests", dependencies: ["FleetConfig", "FleetModel"]),
        .testTarget(name: "CoordinatorTests", dependencies: ["Coordinator", "FleetConfig", "Backends", "Geo", "FleetModel", "FuzzTargets", "TestSupport"]),
        .testTarget(name: "TelemetryTests", dependencies: [
            "Telemetry", "Coordinator", "Recorder", "Worker",
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        .testTarget(name: "WorkerTests", dependencies: ["Worker", "Messaging", "AMQP", "Backends", "FleetModel", "Timing"]),
        .testTarget(name: "ServeTests", dependencies: ["Serve", "FleetModel", "FleetConfig", "Storage"]),
        .testTarget(name: "TilefleetCLITests", dependencies: [
            "TilefleetCLI", "Storage", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "AMQPIntegrationTests", dependencies: ["AMQP", "TestSupport"]),
        .testTarget(name: "PostgresIntegrationTests", dependencies: ["Postgres", "TestSupport"]),
        .testTarget(name: "BackendsIntegrationTests", dependencies: [
            "Backends", "FleetConfig", "Simulator", "HTTP", "Geo", "FleetModel", "Coordinator", "Storage", "TestSupport", "ChildProcess",
        ]),
        // The adapters' contract against real third-party servers from PyPI (`make real-servers`).
        .testTarget(name: "BackendsContractIntegrationTests", dependencies: ["Backends", "FleetConfig", "FleetModel", "HTTP", "TestSupport"]),
        .testTarget(name: "SimulatorIntegrationTests", dependencies: ["Simulator", "HTTP", "TestSupport"]),
        .testTarget(name: "HTTPIntegrationTests", dependencies: ["HTTP", "Simulator", "TestSupport"]),
        .testTarget(name: "StorageIntegrationTests", dependencies: ["Storage", "FleetModel", "Postgres", "TestSupport"]),
        .testTarget(name: "RecorderIntegrationTests", dependencies: ["Recorder", "Messaging", "Storage", "FleetModel", "AMQP", "Postgres", "TestSupport"]),
        .testTarget(name: "CoordinatorIntegrationTests", dependencies: [
            "Coordinator", "FleetConfig", "Messaging", "Storage", "FleetModel", "AMQP", "Postgres", "Geo", "Backends", "HTTP", "Simulator",
            "TestSupport",
        ]),
        .testTarget(name: "WorkerIntegrationTests", dependencies: [
            "Worker", "Messaging", "Backends", "FleetConfig", "FleetModel", "AMQP", "Simulator", "HTTP", "TestSupport",
        ]),
        .testTarget(name: "ServeIntegrationTests", dependencies: [
            "Serve", "Simulator", "Storage", "FleetModel", "HTTP", "TestSupport",
            .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
        ]),
        .testTarget(name: "FleetIntegrationTests", dependencies: ["Coordinator", "Simulator", "Postgres", "TestSupport", "AMQP", "Messaging", "FleetModel", "HTTP"]),
        .testTarget(name: "DeployIntegrationTests", dependencies: ["TestSupport", "Messaging", "AMQP"]),
    ],
    swiftLanguageModes: [.v6]
)

// Opt-in: `make fuzz` (TILEFLEET_FUZZ=1) adds the libFuzzer executable, built with
// `-sanitize=fuzzer,address` in its own build directory; never part of a normal build.
if ProcessInfo.processInfo.environment["TILEFLEET_FUZZ"] != nil {
    package.products.append(.executable(name: "tilefleet-fuzz", targets: ["TilefleetFuzz"]))
    package.targets.append(.executableTarget(name: "TilefleetFuzz", dependencies: ["FuzzTargets", "FleetConfig", "Coordinator"],
                                             swiftSettings: [.unsafeFlags(["-parse-as-library"])]))
}
