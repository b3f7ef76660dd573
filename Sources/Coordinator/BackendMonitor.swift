import Backends
import FleetConfig
import Foundation
import HTTP
import Logging
import Postgres
import Storage

/// Before each dispatch round: judges every backend's health (``BackendHealth``) and effective
/// concurrency (``AdaptiveLimit``) from what the fleet saw of its submits, stores changes
/// (`backend_health`, an event per change of health), probes unhealthy backends, and moves the
/// tiles waiting on an unhealthy backend without a job back to the dispatcher. The stored health is
/// the truth every coordinator starts each round from, so several coordinators agree. Each round
/// records every backend's health and effective limit in ``CoordinatorMetrics``.
public actor BackendMonitor {
    /// What the dispatch round uses.
    public struct Verdict: Sendable, Hashable {
        /// Backends that take no new tiles.
        public var unavailable: Set<String>
        /// Each backend's effective `max_active` (never above the configured one).
        public var limits: [String: Int]
    }

    let store: BackendHealthStore
    let backends: [BackendConfiguration]
    let client: HTTPClient
    /// The coordinator's dispatch interval: the probe interval of a backend that sets none.
    let dispatchInterval: Duration
    let metrics: CoordinatorMetrics
    let logger: Logger
    private var adaptive: [String: AdaptiveLimit] = [:]
    private var since: [String: Date] = [:]
    private var lastProbe: [String: ContinuousClock.Instant] = [:]
    /// Probes under way (they run beside the rounds, so a slow platform never holds dispatch up).
    private var probing: Set<String> = []
    /// Outcomes of finished probes not yet taken in: nil inside means the probe succeeded.
    private var probeOutcomes: [String: String?] = [:]

    /// `connection` may be shared with work that does not hold transactions across awaits. Each
    /// backend's failure threshold and probe interval are its `health:` settings
    /// (``BackendHealthSettings``).
    public init(connection: PostgresConnection, backends: [BackendConfiguration], client: HTTPClient,
                dispatchInterval: Duration = .seconds(5), metrics: CoordinatorMetrics = CoordinatorMetrics(), logger: Logger) {
        self.metrics = metrics
        self.store = BackendHealthStore(connection: connection)
        self.backends = backends
        self.client = client
        self.dispatchInterval = dispatchInterval
        self.logger = logger
    }

    /// One round over every backend.
    public func round() async throws -> Verdict {
        let records = try await store.records()
        var verdict = Verdict(unavailable: [], limits: [:])
        for backend in backends {
            let name = backend.name
            let record = records[name]
            let stored: BackendHealth.State = record.map { stored -> BackendHealth.State in
                stored.healthy ? .healthy : .unhealthy(reason: stored.reason ?? "")
            } ?? .healthy
            var health = BackendHealth(state: stored, failureThreshold: backend.health.unhealthyAfter)
            let probeInterval = backend.health.probeInterval(dispatchInterval: dispatchInterval)
            // First round: every accepted submit so far counts (1970 is within PostgreSQL's range).
            let observation = try await store.observe(backend: name, since: since[name] ?? Date(timeIntervalSince1970: 0),
                                                      healthySince: record.flatMap { $0.healthy ? $0.since : nil })
            since[name] = observation.at
            if let change = health.observe(.init(failuresInARow: observation.failuresInARow,
                                                 authenticationLost: observation.authenticationLost, reason: observation.reason)) {
                try await apply(change, backend: name)
            }
            if let failure = probeOutcomes.removeValue(forKey: name), health.needsProbe {
                try await store.recordProbe(backend: name, failure: failure)
                if let change = health.probed(failure) { try await apply(change, backend: name) }
            }
            if health.needsProbe, !probing.contains(name), lastProbe[name].map({ ContinuousClock.now - $0 >= probeInterval }) ?? true {
                lastProbe[name] = ContinuousClock.now
                probing.insert(name)
                Task { await self.probed(name, failure: await self.probe(backend)) }
            }
            if !health.isHealthy {
                verdict.unavailable.insert(name)
                let moved = try await store.releaseWaitingTiles(backend: name)
                if moved > 0 {
                    logger.notice("tiles waiting on an unhealthy backend go back to the dispatcher", metadata: ["backend": "\(name)", "tiles": "\(moved)"])
                }
            }
            var limit = adaptive[name] ?? AdaptiveLimit(maxActive: backend.maxActive, limit: record?.effectiveLimit)
            let changed = limit.observe(.init(accepted: observation.accepted, refused: observation.refused, holding: observation.holding))
            adaptive[name] = limit
            if let changed {
                try await store.setEffectiveLimit(backend: name, limit: changed)
                logger.info("effective limit changed", metadata: ["backend": "\(name)", "limit": "\(changed)", "max_active": "\(backend.maxActive)"])
            }
            verdict.limits[name] = limit.limit
            metrics.backend(name, effectiveLimit: limit.limit, maxActive: backend.maxActive, healthy: health.isHealthy)
        }
        return verdict
    }

    private func probed(_ backend: String, failure: String?) {
        probing.remove(backend)
        probeOutcomes[backend] = .some(failure)
    }

    private func apply(_ change: BackendHealth.Change, backend: String) async throws {
        guard try await store.setHealth(backend: backend, healthy: change.healthy, reason: change.reason) else { return }
        if change.healthy {
            logger.notice("backend healthy again: a probe succeeded; it takes new tiles", metadata: ["backend": "\(backend)"])
        } else {
            logger.warning("backend unhealthy: it takes no new tiles until a probe succeeds", metadata: [
                "backend": "\(backend)", "reason": "\(change.reason ?? "")"])
        }
    }

    /// nil when the backend's API root answers and its credentials are accepted; else why not.
    nonisolated func probe(_ configuration: BackendConfiguration) async -> String? {
        var quiet = logger
        quiet.logLevel = .critical
        let backend: any BackendInspection
        do {
            guard let inspected = try configuration.makeBackend(client: client, logger: quiet) as? any BackendInspection else {
                return nil
            }
            backend = inspected
        } catch {
            return "\(error)"
        }
        if case .wrong(let problem, _) = await backend.checkRoot() { return problem }
        do {
            _ = try await backend.account()
            return nil
        } catch {
            return "\(error)"
        }
    }
}
