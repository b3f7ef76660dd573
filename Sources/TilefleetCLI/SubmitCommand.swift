import ArgumentParser
import Backends
import Coordinator
import FleetModel
import Foundation
import Geo
import HTTP
import Messaging
import Postgres
import Storage
import Timing

/// `tilefleet submit TASK`: validate, tile, store the task and its tiles in one transaction, and
/// dispatch the first tiles.
struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Validate a task spec (YAML/JSON, or an APEx upscale-task JSON), store its tiles and dispatch them.",
        discussion: """
        Prints the task id. Before anything is stored, the preflight checks the task against what \
        its backend declares (the API root, the service's parameters and their schemas); --offline \
        skips that. --dry-run prints the tiles and the first job exactly as it will be sent, and \
        stores nothing. Every problem is reported at once with its key; exit status 2.
        """
    )

    @Argument(help: "The task spec file.")
    var task: String

    @Flag(name: .customLong("dry-run"), help: "Print the tiles and the first job as it will be sent; store and publish nothing.")
    var dryRun = false

    @Flag(help: "Skip the preflight's network checks against the backend (says so).")
    var offline = false

    @Flag(help: "After submitting, follow progress like `tilefleet watch`.")
    var follow = false

    @Flag(help: "Go ahead with more jobs than limits.confirm_jobs of the fleet configuration.")
    var yes = false

    @Option(help: "Run only a sample first (a share such as 2% or a number of tiles), spread over windows and tile sizes; `tilefleet estimate TASK` then projects credits and wall time, and `--run` releases the rest.")
    var sample: String?

    func validate() throws {
        if let sample, EstimateSample.Size(parsing: sample) == nil {
            throw ValidationError("--sample must be a share such as 2% (over 0, at most 100%) or a number of tiles (at least 1), not '\(sample)'")
        }
    }

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let configuration = try connection.fleetConfiguration()
        let signing = try MessageSigning(configuration.signing)
        let started = ContinuousClock.now
        let planned = try CoordinatorSupport.plan(path: task, configuration: configuration, confirmed: yes)
        let tiled = ContinuousClock.now
        let client = HTTPClient()
        let checked: Preflight.Outcome
        do {
            checked = try await Preflight(configuration: configuration, path: task).run(planned, offline: offline, client: client)
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
        let plan = checked.plan
        let preflown = ContinuousClock.now
        if dryRun {
            try printDryRun(plan, backend: checked.backend)
            return
        }
        let sampled = sample.flatMap(EstimateSample.Size.init(parsing:)).map(plan.estimateSample)
        let database = try await CoordinatorSupport.database(connection)
        defer { Task { await database.close() } }
        do {
            try await TaskStore(connection: database).insert(plan, sample: sampled)
        } catch let error as TaskStoreError {
            CoordinatorSupport.printError("\(task): \(error)")
            throw ExitCode(2)
        }
        let stored = ContinuousClock.now
        let (amqp, channel) = try await CoordinatorSupport.channel(connection, configuration: configuration)
        let dispatchConnection = try await PostgresConnection.connect(to: database.url)
        let dispatcher = Dispatcher(connection: dispatchConnection, channel: channel, topology: configuration.topology, signing: signing,
                                    lease: configuration.recovery.lease)
        let limits = Dictionary(uniqueKeysWithValues: plan.spec.backendNames.map { ($0, configuration.maxActive(backend: $0) ?? 1) })
        let outcomes = try await dispatcher.dispatchAll(maxActive: limits)
        let total = outcomes.reduce(0) { $0 + $1.total }
        try await database.notify(channel: "tilefleet_tiles", payload: "\(plan.spec.id) \(plan.spec.backend)")
        let dispatched = ContinuousClock.now
        await dispatchConnection.close()
        await amqp.close()
        CoordinatorSupport.printError("""
            stored \(plan.records.count) tiles of task \(plan.spec.id) on \(plan.spec.backendNames.joined(separator: ", ")); dispatched \(total) \
            (tiling \(Self.ms(tiled - started)), preflight \(Self.ms(preflown - tiled)), stored after \(Self.ms(stored - started)), first dispatch after \(Self.ms(dispatched - started)))
            """)
        if let sampled {
            CoordinatorSupport.printError("""
                sampling: \(sampled.indices.count) of \(plan.records.count) tiles run first; the rest wait for \
                `tilefleet estimate \(plan.spec.id) --run`
                """)
        }
        print(plan.spec.id)
        if follow {
            var arguments = [plan.spec.id]
            if let config = connection.config { arguments += ["--config", config] }
            if let url = connection.databaseURL { arguments += ["--database-url", url] }
            if let url = connection.amqpURL { arguments += ["--amqp-url", url] }
            let watch = try WatchCommand.parse(arguments)
            try await watch.run()
        }
    }

    static func ms(_ duration: Duration) -> String {
        let seconds = duration.inSeconds
        return String(format: "%.0f ms", seconds * 1000)
    }

    private func printDryRun(_ plan: TaskPlan, backend: (any BackendInspection)?) throws {
        let spec = plan.spec
        print("task            \(spec.id) — \(spec.title.terminalSafe)")
        print((spec.backends == nil ? "backend         " : "backends        ") + spec.backendNames.joined(separator: ", "))
        print("service         \(spec.serviceSource ?? "process graph")")
        print("grid            \(spec.split.grid) over \(spec.split.aoiSource)")
        print("tiles           \(plan.tiling.tiles.count) cells, \(plan.records.count) jobs")
        print("AOI area        \(String(format: "%.3f", plan.tiling.aoiAreaKm2)) km²")
        print("max_attempts    \(spec.maxAttempts)   max_runtime \(spec.maxRuntimeSeconds.map { "\($0) s" } ?? "none")   priority \(spec.priority)")
        print("")
        print("tile".padding(toLength: 34, withPad: " ", startingAt: 0) + "window".padding(toLength: 26, withPad: " ", startingAt: 0) + "area_km2")
        for record in plan.records {
            print(record.tileID.padding(toLength: 34, withPad: " ", startingAt: 0)
                  + (record.window.map { "\($0.start)/\($0.end)" } ?? "-").padding(toLength: 26, withPad: " ", startingAt: 0)
                  + String(format: "%.3f", record.areaKm2))
        }
        if let first = plan.records.first {
            let item = WorkItem(kind: .submit, task: spec.id, tile: first.tileID, attempt: 1, maxAttempts: spec.maxAttempts,
                                backend: spec.backend, job: spec.backendJob(tileID: first.tileID, tileParameters: first.parameters),
                                maxRuntimeSeconds: spec.maxRuntimeSeconds)
            print("")
            if let backend {
                let request = try backend.submitRequest(for: item.job, idempotencyKey: item.idempotencyKey)
                print("the job of tile \(first.tileID) as it will be sent:")
                print("\(request.method) \(request.url)")
                print(request.body.canonicalJSON.prettyJSON)
            } else {
                print("example work item (tile \(first.tileID); --offline: not resolved for the backend):")
                print(String(decoding: item.encoded(), as: UTF8.self).prettyJSON)
            }
        }
    }
}

extension String {
    /// The JSON text re-printed with indentation (unchanged if it is not JSON).
    var prettyJSON: String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(utf8)),
              let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        else { return self }
        return String(decoding: data, as: UTF8.self)
    }
}
