import AMQP
import FleetConfig
import Foundation
import HTTP
import Logging
import Messaging
import Postgres
import ServiceLifecycle

/// `tilefleet coordinator`: dispatches pending tiles of all tasks whenever a worker reports a job
/// finished (read off the events exchange, ahead of the recorder: ``EndedJobs``), whenever the
/// recorder announces finished tiles (`NOTIFY tilefleet_tiles`) and on a timer (notifications
/// can be lost across a reconnect). On the timer it also cancels stray jobs, and every `recovery.heal_interval` it
/// sends the recorder a tick and republishes tiles whose items were lost
/// (``Dispatcher/recover(silence:task:limit:)``). A task that names an application package
/// (`service.deploy`) is dispatched only once its package is deployed (``TaskDeployer``); a failed
/// deployment is logged and tried again on the next pass. Before each round, a ``BackendMonitor``
/// judges every backend's health and effective limit: an unhealthy backend takes no new tiles, and
/// none takes more than its effective limit (at most `max_active`); passes that follow within
/// ``judgeEvery`` go by the same verdict. Stops between passes on graceful shutdown.
public struct CoordinatorService: Service {
    let database: PostgresConnection
    let amqp: AMQPConnection
    let configuration: FleetConfiguration
    let signing: MessageSigning
    let postJobDatabase: PostgresConnection?
    let interval: Duration
    let metrics: CoordinatorMetrics
    let logger: Logger

    /// The longest a pass goes by an earlier verdict of ``BackendMonitor`` (less with a shorter interval).
    static let judgeEvery: Duration = .milliseconds(250)

    /// `database` must be used by nothing else (dispatch transactions span awaits);
    /// `postJobDatabase`, if given, records post-job runs (otherwise a second connection is opened).
    public init(database: PostgresConnection, amqp: AMQPConnection, configuration: FleetConfiguration, signing: MessageSigning,
                postJobDatabase: PostgresConnection? = nil,
                interval: Duration? = nil, metrics: CoordinatorMetrics = CoordinatorMetrics(),
                logger: Logger = Logger(label: "tilefleet.coordinator")) {
        self.database = database
        self.postJobDatabase = postJobDatabase
        self.amqp = amqp
        self.configuration = configuration
        self.signing = signing
        self.interval = interval ?? .seconds(configuration.dispatchIntervalSeconds)
        self.metrics = metrics
        self.logger = logger
    }

    public func run() async throws {
        let channel = try await amqp.openChannel()
        try await configuration.topology.declare(on: channel)
        try await channel.enablePublisherConfirms()
        let dispatcher = Dispatcher(connection: database, channel: channel, topology: configuration.topology,
                                    signing: signing, lease: configuration.recovery.lease, logger: logger)
        let silence = configuration.recoverySilence
        let healInterval = configuration.recovery.healInterval
        let limits = Dictionary(uniqueKeysWithValues: configuration.backends.backends.map { ($0.name, $0.maxActive) })
        let (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let notifications = try await database.listen("tilefleet_tiles")
        let interval = self.interval
        let feeders = [
            Task { for await _ in notifications { wake.yield() } },
            Task { await followEndedJobs(dispatcher: dispatcher, wake: wake) },
            Task {
                while !Task.isCancelled {
                    wake.yield()
                    try? await Task.sleep(for: interval)
                }
            },
        ]
        // Post-job commands run beside dispatch, so a slow command never holds tiles back.
        let postJobConnection: PostgresConnection
        if let postJobDatabase { postJobConnection = postJobDatabase } else {
            postJobConnection = try await PostgresConnection.connect(to: database.url, logger: logger)
        }
        let postJobs = PostJobRunner(connection: postJobConnection)
        let deployClient = HTTPClient(logger: logger)
        let deployer = TaskDeployer(backends: configuration.backends, client: deployClient, logger: logger)
        let monitor = BackendMonitor(connection: database, backends: configuration.backends.backends, client: deployClient,
                                     dispatchInterval: interval, metrics: metrics, logger: logger)
        let postJobLoop = Task {
            while !Task.isCancelled {
                var runs: [PostJobRunner.Run] = []
                do {
                    runs = try await postJobs.runPending()
                } catch {
                    logger.error("post-job bookkeeping failed", metadata: ["error": "\(error)"])
                }
                for run in runs where run.exitCode != 0 {
                    logger.warning("post-job failed", metadata: ["task": "\(run.task)", "tile": "\(run.tile)", "exit": "\(run.exitCode)"])
                }
                if runs.isEmpty { try? await Task.sleep(for: .seconds(2)) }
            }
        }
        defer {
            feeders.forEach { $0.cancel() }
            postJobLoop.cancel()
        }
        logger.info("coordinator dispatching", metadata: ["backends": "\(limits.keys.sorted().joined(separator: ","))"])
        var lastStrayPass = ContinuousClock.now - interval
        var lastRecoveryPass = ContinuousClock.now - healInterval
        // Wakes come with every job that ends: the backends are judged at most this often, and
        // the passes between go by the last verdict.
        let judgeEvery = min(interval, Self.judgeEvery)
        var verdict = BackendMonitor.Verdict(unavailable: [], limits: limits)
        var lastJudged: ContinuousClock.Instant?
        await withGracefulShutdownHandler {
            for await _ in wakes {
                if lastJudged.map({ ContinuousClock.now - $0 >= judgeEvery }) ?? true {
                    do {
                        verdict = try await monitor.round()
                        lastJudged = ContinuousClock.now
                    } catch {
                        verdict = BackendMonitor.Verdict(unavailable: [], limits: limits)
                        lastJudged = nil
                        logger.error("judging the backends' health failed; dispatching within max_active", metadata: ["error": "\(error)"])
                    }
                }
                do {
                    let effective = limits.merging(verdict.limits) { configured, effective in min(configured, effective) }
                    let started = ContinuousClock.now
                    let outcomes = try await dispatcher.dispatchAll(maxActive: limits, effective: effective, unavailable: verdict.unavailable)
                    metrics.dispatched(outcomes, limits: effective, duration: ContinuousClock.now - started)
                    for outcome in outcomes where outcome.total > 0 {
                        logger.info("dispatched", metadata: ["backend": "\(outcome.backend)", "tiles": "\(outcome.total)",
                                                             "unparked": "\(outcome.unparked)", "active_before": "\(outcome.activeBefore)"])
                    }
                } catch {
                    metrics.failed(pass: "dispatch")
                    logger.error("dispatch failed; retrying on the next wake", metadata: ["error": "\(error)"])
                }
                for spec in await dispatcher.takeAwaitingDeployment() {
                    do {
                        let outcome = try await deployer.deploy(spec)
                        await dispatcher.markDeployed(spec.id)
                        logger.notice("application package on the server; dispatching the task", metadata: [
                            "task": "\(spec.id)", "process": "\(spec.deploy?.processID ?? "")", "outcome": "\(outcome?.rawValue ?? "none")"])
                        wake.yield()
                    } catch {
                        logger.error("cannot deploy the task's application package; its tiles wait, tried again on the next pass", metadata: [
                            "task": "\(spec.id)", "process": "\(spec.deploy?.processID ?? "")", "error": "\(error)"])
                    }
                }
                // On the timer's cadence, not on every notification: a scan, not a reaction.
                guard ContinuousClock.now - lastStrayPass >= interval else { continue }
                lastStrayPass = ContinuousClock.now
                if ContinuousClock.now - lastRecoveryPass >= healInterval {
                    lastRecoveryPass = ContinuousClock.now
                    do {
                        // A broker that lost exchanges or queues gets them back before anything is republished.
                        try await configuration.topology.declare(on: channel)
                        let recovered = try await dispatcher.recover(silence: silence)
                        metrics.recovered(polls: recovered.polls, submits: recovered.submits)
                        if recovered.total > 0 {
                            logger.notice("republished tiles whose work items were lost", metadata: [
                                "polls": "\(recovered.polls)", "submits": "\(recovered.submits)"])
                        }
                        try await dispatcher.sendTick()
                    } catch {
                        metrics.failed(pass: "recovery")
                        logger.error("recovery pass failed; retrying on the next wake", metadata: ["error": "\(error)"])
                    }
                }
                do {
                    let strays = try await dispatcher.cancelStrayJobs(resendAfter: silence.values.max())
                    if strays > 0 { logger.notice("canceling backend jobs no tile wants any more", metadata: ["jobs": "\(strays)"]) }
                } catch {
                    metrics.failed(pass: "strays")
                    logger.error("looking for stray jobs failed; retrying on the next wake", metadata: ["error": "\(error)"])
                }
            }
        } onGracefulShutdown: {
            wake.finish()
        }
        await deployClient.shutdown()
        if postJobDatabase == nil {
            postJobLoop.cancel()
            await postJobConnection.close()
        }
    }
}
