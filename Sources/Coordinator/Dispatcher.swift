import AMQP
import FleetConfig
import FleetModel
import Foundation
import Geo
import Logging
import Messaging
import Postgres
import Storage

/// Releases pending tiles to the work queues within each backend's `max_active`, exactly across
/// the whole fleet: one pass per backend runs in a transaction that holds
/// `pg_advisory_xact_lock(hashtext(backend))`, counts the backend's tiles in flight, claims pending
/// tiles with `FOR UPDATE SKIP LOCKED` and marks them `queued` with `dispatched_at` and `item_at`;
/// only after the commit are their submit items published, with confirms. Each item carries a
/// lease from `item_at`: if the coordinator dies or the broker fails between commit and confirm,
/// the tiles stay queued with no item (or one that cannot act once its lease has run out), and the
/// recovery pass (``recover(silence:task:limit:)``) republishes them as submits that look their job
/// up first — never a second job, never a tile lost. A task with a budget releases no tile that
/// would take its spent plus expected credits past it (``TaskBudget``). The SQL is ``DispatchStore``'s; this type
/// decides and publishes.
///
/// Needs a connection of its own (the transaction spans awaits); run one pass at a time per
/// dispatcher. Several dispatchers — in one process or many — may run against one database.
public actor Dispatcher {
    public let connection: PostgresConnection
    let store: DispatchStore
    public let channel: AMQPChannel
    public let topology: Topology
    /// The keys that tag the items and ticks this dispatcher sends.
    public let signing: MessageSigning
    /// How long an item stays valid past its tile's last sign of life.
    public let lease: Duration
    private let planner = DispatchPlanner()
    private var specs: [String: TaskSpec] = [:]
    /// Tasks whose application package (``TaskSpec/deploy``) this dispatcher saw deployed.
    private var deployed: Set<String> = []
    /// Tasks with pending tiles held back until their package is deployed.
    private var awaitingDeployment: [String: TaskSpec] = [:]
    /// Jobs workers saw finish that the database may not show yet (``noteEnded(_:)``).
    private var ended = EndedJobs()
    private let logger: Logger

    /// `channel` must be in confirm mode.
    public init(connection: PostgresConnection, channel: AMQPChannel, topology: Topology, signing: MessageSigning,
                lease: Duration = RecoveryConfiguration().lease, logger: Logger = Logger(label: "tilefleet.coordinator")) {
        self.connection = connection
        self.signing = signing
        self.lease = lease
        self.store = DispatchStore(connection: connection)
        self.channel = channel
        self.topology = topology
        self.logger = logger
    }

    /// One pass over every backend with a `max_active`, each within its effective limit
    /// (`effective`, from ``BackendMonitor``; a backend missing there: its `max_active`). Tasks
    /// over several backends are first spread over their backends' free slots
    /// (``BackendSlotAssigner``); backends in `unavailable` (unhealthy) take no new tiles.
    public func dispatchAll(maxActive: [String: Int], effective: [String: Int] = [:],
                            unavailable: Set<String> = []) async throws -> [DispatchOutcome] {
        let limits = maxActive.merging(effective.filter { maxActive[$0.key] != nil }) { configured, effective in min(configured, effective) }
        let offers = try await spread(maxActive: limits, unavailable: unavailable)
        var outcomes: [DispatchOutcome] = []
        for (backend, limit) in maxActive.sorted(by: { $0.key < $1.key }) {
            let limit = unavailable.contains(backend) ? 0 : limit
            outcomes.append(try await dispatch(backend: backend, maxActive: limit, effectiveLimit: limits[backend],
                                               offers: offers[backend] ?? [:]))
        }
        return outcomes
    }

    /// How many pending tiles of each task over several backends each backend is offered this
    /// round, from a snapshot read without locks (and without a transaction: each backend's pass
    /// counts again under its lock); nothing, at one statement, while no active task runs over
    /// several backends.
    func spread(maxActive: [String: Int], unavailable: Set<String>) async throws -> [String: [String: Int]] {
        try await store.reading { transaction in
            guard try await transaction.anyActiveTaskOverSeveralBackends() else { return [:] }
            // No task can be offered more than every available backend's max_active together.
            let releasable = maxActive.filter { !unavailable.contains($0.key) }.values.reduce(0) { $0 + max($1, 0) }
            var specs: [(task: (task: String, priority: Int, pending: Int), spec: TaskSpec)] = []
            for task in try await transaction.pendingTasks(pendingUpTo: releasable) {
                guard let spec = try? await spec(of: task.task, in: transaction) else { continue }
                specs.append((task, spec))
            }
            // Only a task over several backends is capped by an offer: with none pending, there is nothing to spread.
            guard specs.contains(where: { $0.spec.backendNames.count > 1 }) else { return [:] }
            ended.expire(now: .now)
            let inFlight = try await transaction.inFlight(ended: ended.attempts(on: nil))
            let demands = specs.map { task, spec in
                BackendSlotAssigner.TaskDemand(
                    task: task.task, priority: task.priority, pending: task.pending,
                    backends: spec.backends?.map { BackendSlotAssigner.Option($0.name, weight: $0.weight) } ?? [.init(spec.backend)],
                    active: inFlight.compactMapValues { $0[task.task] })
            }
            let free = Dictionary(uniqueKeysWithValues: maxActive.map { backend, limit in
                (backend, limit - (inFlight[backend]?.values.reduce(0, +) ?? 0))
            })
            return BackendSlotAssigner().assign(freeSlots: free, unavailable: unavailable, tasks: demands)
        }
    }

    /// One pass on `backend`: first takes up its parked tiles (their start refused with "try
    /// later"), then fills the free slots left from the pending tiles of the active tasks it may
    /// run. Parked tiles count against `maxActive` (they are in flight) but not against
    /// `effectiveLimit` (the platform runs nothing for them): a parked tile is started again —
    /// same attempt, its job looked up and started, never a second one — when the tiles in flight
    /// that are not parked are fewer than the effective limit, so only the limit's probes meet
    /// the platform's refusal. A task over several backends releases at most `offers[task]`
    /// pending tiles here (none when absent); a task on `backend` alone is not capped. Without
    /// `offers` (nil) no task is capped; without `effectiveLimit`, it is `maxActive`.
    public func dispatch(backend: String, maxActive: Int, effectiveLimit: Int? = nil,
                         offers: [String: Int]? = nil) async throws -> DispatchOutcome {
        let (outcome, items) = try await store.fencedTransaction("the dispatch pass on \(backend)") { transaction in
            try await claim(transaction, backend: backend, maxActive: maxActive,
                            effectiveLimit: min(effectiveLimit ?? maxActive, maxActive), offers: offers)
        }
        try await publish(items)
        return outcome
    }

    private func claim(_ transaction: DispatchStore.Transaction, backend: String, maxActive: Int, effectiveLimit: Int,
                       offers: [String: Int]?) async throws -> (DispatchOutcome, [WorkItem]) {
        // Jobs a worker saw finish free their slots before the recorder stores them: counted
        // apart in the same statement as the tiles in flight. A task with a budget offers only the
        // tiles its budget lets start (see ``TaskBudget``; it counts its tiles in flight as the
        // database has them, ended or not: their costs are not stored yet). A pass releases at
        // most `maxActive` tiles, so no more pending ones are counted. The lock, the parked tiles
        // and the counts are one trip to the database connection's thread.
        ended.expire(now: .now)
        let noted = ended.attempts(on: backend)
        let start = try await transaction.startPass(backend: backend, pendingUpTo: maxActive, ended: noted)
        let parked = start.parked
        let loads = start.loads.map {
            DispatchPlanner.TaskLoad(task: $0.task, priority: $0.priority,
                                     pending: $0.budget.map { [pending = $0.pending] in $0.tilesAllowed(pending: pending) } ?? $0.pending,
                                     active: $0.inFlight - $0.ended)
        }
        if !noted.isEmpty {
            ended.settle(checked: noted, stillInFlight: start.stillInFlight)
        }
        let active = loads.reduce(0) { $0 + $1.active }
        // A task whose stored spec cannot be read must not hold back the others on the backend.
        var readable: [DispatchPlanner.TaskLoad] = []
        for var load in loads where load.pending > 0 {
            do {
                let spec = try await spec(of: load.task, in: transaction)
                if spec.deploy != nil, !deployed.contains(load.task) {
                    // Nothing of the task is dispatched before its process is on the server.
                    awaitingDeployment[load.task] = spec
                    continue
                }
                if let offers, spec.backendNames.count > 1 {
                    load.pending = min(load.pending, offers[load.task] ?? 0)
                }
                readable.append(load)
            } catch {
                logger.error("cannot read the stored spec; its tiles stay pending", metadata: ["task": "\(load.task)", "error": "\(error)"])
            }
        }
        var published: [String: Int] = [:]
        var items: [WorkItem] = []
        let room = effectiveLimit - (active - parked)
        let unparked = try await transaction.unpark(backend: backend, count: min(room, parked))
        for tile in unparked {
            guard let spec = try? await spec(of: tile.task, in: transaction) else { continue }
            var item = WorkItem(kind: .submit, task: tile.task, tile: tile.tile, attempt: tile.attempt,
                                maxAttempts: spec.maxAttempts, backend: backend,
                                job: spec.backendJob(tileID: tile.tile, tileParameters: tile.parameters, backend: backend),
                                backendJobID: tile.backendJobID, maxRuntimeSeconds: spec.maxRuntimeSeconds, mayExist: true,
                                leaseUntil: tile.itemAt.addingTimeInterval(lease.inSeconds), aliveAt: tile.itemAt)
            item.retryElsewhere = spec.retryElsewhere
            items.append(item)
            published[tile.task, default: 0] += 1
        }
        let claims = planner.plan(freeSlots: min(maxActive - active, room - unparked.count), tasks: readable)
        for (task, count) in claims.sorted(by: { $0.key < $1.key }) {
            let spec = try await spec(of: task, in: transaction)
            let claimed = try await transaction.claimPending(task: task, backend: backend, count: count,
                                                             movingRetries: spec.backendNames.count > 1)
            for tile in claimed {
                var item = WorkItem(kind: .submit, task: task, tile: tile.tile, attempt: tile.attempt,
                                    maxAttempts: spec.maxAttempts, backend: backend,
                                    job: spec.backendJob(tileID: tile.tile, tileParameters: tile.parameters, backend: backend),
                                    maxRuntimeSeconds: spec.maxRuntimeSeconds,
                                    leaseUntil: tile.itemAt.addingTimeInterval(lease.inSeconds), aliveAt: tile.itemAt)
                item.retryElsewhere = spec.retryElsewhere
                items.append(item)
            }
            published[task, default: 0] += claimed.count
        }
        return (DispatchOutcome(backend: backend, activeBefore: active, published: published.filter { $0.value > 0 },
                                unparked: unparked.count), items)
    }

    /// Notes a worker's status event read off the events exchange; true when it says a job
    /// finished that was not noted before: a pass may free its slot now, before the recorder
    /// stores it (``EndedJobs``).
    public func noteEnded(_ event: StatusEvent) -> Bool {
        ended.note(event, at: .now)
    }

    /// Publishes `items` to the work exchange and waits for every confirm.
    func publish(_ items: [WorkItem]) async throws {
        try await WorkPublisher(channel: channel, topology: topology, signing: signing).publish(items)
    }

    /// The tasks held back until their application package is deployed (``markDeployed(_:)``), once each.
    public func takeAwaitingDeployment() -> [TaskSpec] {
        defer { awaitingDeployment = [:] }
        return awaitingDeployment.values.sorted { $0.id < $1.id }
    }

    /// The package of `task` is on its server: its tiles may be dispatched.
    public func markDeployed(_ task: String) {
        deployed.insert(task)
    }

    /// The spec of `task`, read once per dispatcher (a task's spec never changes).
    func spec(of task: String, in transaction: DispatchStore.Transaction) async throws -> TaskSpec {
        if let spec = specs[task] { return spec }
        let spec = try await transaction.spec(of: task, as: TaskSpec.self)
        specs[task] = spec
        return spec
    }
}
