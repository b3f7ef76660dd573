import Backends
import FleetModel
import Foundation
import Messaging
import Timing

/// The handling of one work item as a state machine: from the item (and whether it was
/// redelivered) and the backend's answers to a ``WorkerDecision``. It asks for one
/// ``BackendCall`` at a time; the service makes the call and feeds the answer back.
///
/// ```swift
/// var handler = WorkItemHandler(item: item, redelivered: delivery.redelivered, policy: policy, worker: "host:42")
/// var step = handler.start(now: Date())
/// while case .call(let call) = step { step = handler.receive(try await perform(call), now: Date()) }
/// ```
///
/// The rules:
/// - lease: an item (cancels aside) whose lease has run out is dropped: the coordinator has
///   republished its tile, or will. Every item handed on carries a lease of one `lease` past the
///   tile's last sign of life; a ``Heartbeat`` goes out before that would run out while the item
///   waits, and with every "try later" or transient failure (saying what went wrong).
/// - submit: a submit that may have been tried before (redelivered or deferred) first looks for the attempt's job by idempotency key; then a `submitted` event and a `poll` item.
///   One whose attempt has a job already (a parked tile taken up) takes that job up by its id
///   (``BackendCall/resume(jobID:idempotencyKey:)``): started if still unstarted, no listing.
///   A redelivered one first pauses for `redeliveryGrace`, holding the item, so that a submit its
///   previous holder had sent lands before the lookup.
/// - poll: one status call; an event when the platform's status changed; on `finished` the result
///   links; on `failed` the platform's own error (its error-level log lines, else the status
///   text), then a retry (`retrying` + a submit of the next attempt) while attempts remain; a job
///   beyond `max_runtime` is cancelled and counts as failed. Every event after a status call
///   carries the job's `costs` and `usage` as that call reported them.
/// - host: with ``WorkerPolicy/host`` (a command backend), the polls of a submitted job go to this
///   host's queue, and a poll or cancel of another host's job is passed on to that host's queue.
/// - callbacks: a job submitted with subscriber URLs (the worker's ``CallbackRegistry``) is polled
///   every `poll.max_interval` only, as a safety net; a callback sends a one-shot ``WorkItem/wake``
///   poll, which ends the tile when the job finished and otherwise publishes no follow-up (a failed
///   job is left to the chain, the one place that may start the next attempt).
/// - cancel: cancel the job, publish `canceled`. A cancel for an attempt whose job is not known yet
///   (its submit was still queued) looks the job up by idempotency key, again after the poll delay
///   while none is found, up to `cancelLookups` times.
/// - schedule: with a learned end of the task's jobs (``WorkerPolicy/expectedEnd``) polls follow
///   ``PollSchedule`` and are marked ``WorkItem/scheduled``; such a poll that arrives before its
///   time (the wait tiers round waits down) goes back to wait without a backend call.
/// - park: a submit the platform refuses for its concurrency limit (a "try later" naming
///   `ConcurrentJobLimit` or `TooManyJobs`) is handed back to the coordinator instead of retried blindly: a `queued` event marked ``StatusEvent/parked``
///   (with the job, when the platform created one) and no follow-up item. The dispatcher starts
///   the parked tile again, same attempt, when the backend has a slot under its effective limit.
/// - transient failures and every other "try later" (a throttled request rate, a quota; any on a
///   poll or cancel) re-enqueue the same item after a delay; they never fail a tile.
public struct WorkItemHandler: Sendable {
    /// What the service does next.
    public enum Step: Sendable, Equatable {
        case call(BackendCall)
        case done(WorkerDecision)
    }

    enum State: Sendable {
        case initial
        case pausing
        case finding
        case resuming
        case submitting
        case polling
        case fetchingResults(BackendJobStatus)
        case fetchingLogs(BackendJobStatus)
        case cancelingOverdue(BackendJobStatus)
        case findingToCancel
        case canceling(jobID: String)
        case done
    }

    public let item: WorkItem
    public let redelivered: Bool
    public let policy: WorkerPolicy
    /// Who handles it (host:pid), stamped on events.
    public let worker: String
    private var state: State = .initial
    /// The last status the platform gave: its costs and usage go with every event that follows.
    private var reading: BackendJobStatus?

    public init(item: WorkItem, redelivered: Bool, policy: WorkerPolicy, worker: String) {
        self.item = item
        self.redelivered = redelivered
        self.policy = policy
        self.worker = worker
    }

    /// Whether a submit must look for an existing job first: it may have run before (it was
    /// redelivered, deferred after "try later" or an unanswered submit, or republished with
    /// `may_exist`). A fresh item skips the lookup, which on some platforms lists every job.
    public var mustFindFirst: Bool {
        redelivered || item.pollCount > 0 || item.backendJobID != nil || item.mayExist == true
    }

    /// The first step.
    public mutating func start(now: Date) -> Step {
        if item.kind != .cancel, let lease = item.leaseUntil, now > lease {
            return finish(WorkerDecision(outcome: .lapsed), now: now)
        }
        if let here = policy.host, item.kind != .submit, let jobID = item.backendJobID,
           let there = CommandBackend.parse(jobID: jobID)?.host, there != here {
            // Only the job's host can see it: pass the item on to that host's queue.
            var moved = item
            moved.host = there
            return finish(WorkerDecision(items: [.init(item: moved, tier: nil)], outcome: .deferred), now: now)
        }
        switch item.kind {
        case .submit:
            if redelivered && item.pollCount == 0 && item.backendJobID == nil && policy.redeliveryGrace > .zero {
                // Let a submit that the previous holder may have sent land first.
                state = .pausing
                return .call(.pause(policy.redeliveryGrace))
            }
            if let jobID = item.backendJobID {
                // The attempt has a job already (a parked tile's): take it up by its id.
                state = .resuming
                return .call(.resume(jobID: jobID, idempotencyKey: item.idempotencyKey))
            }
            if mustFindFirst {
                state = .finding
                return .call(.find(idempotencyKey: item.idempotencyKey))
            }
            state = .submitting
            return .call(.submit(item.job, idempotencyKey: item.idempotencyKey))
        case .poll:
            if let wait = earlyBy(now: now) {
                return finish(WorkerDecision(items: [.init(item: item, tier: policy.tier(for: wait))], outcome: .waiting), now: now)
            }
            state = .polling
            return .call(.status(jobID: jobID))
        case .cancel:
            guard let jobID = item.backendJobID else {
                state = .findingToCancel
                return .call(.find(idempotencyKey: item.idempotencyKey))
            }
            state = .canceling(jobID: jobID)
            return .call(.cancel(jobID: jobID))
        }
    }

    /// The step after the backend answered the last call.
    public mutating func receive(_ answer: BackendAnswer, now: Date) -> Step {
        switch (state, answer) {
        case (.pausing, .paused):
            state = .finding
            return .call(.find(idempotencyKey: item.idempotencyKey))
        case (.finding, .found(let id?)), (.resuming, .found(let id?)), (.submitting, .submitted(let id)):
            return finish(submitted(jobID: id, now: now), now: now)
        case (.finding, .found(nil)), (.resuming, .found(nil)):
            state = .submitting
            return .call(.submit(item.job, idempotencyKey: item.idempotencyKey))
        case (.finding, .failed(let error)), (.resuming, .failed(let error)), (.submitting, .failed(let error)):
            return finish(submitFailed(error, now: now), now: now)

        case (.polling, .status(let status)):
            return polled(status, now: now)
        case (.polling, .failed(.notFound(let message))):
            return finish(attemptFailed(error: "backend job \(jobID) no longer exists: \(message)", rawStatus: nil, now: now), now: now)
        case (.polling, .failed(let error)):
            return finish(troubled(deferred(pollAgain(now: now, rawStatus: item.lastRawStatus), now: now), "status call failed: \(error)", now: now), now: now)

        case (.fetchingResults(let status), .results(let assets)):
            let event = self.event(.finished, now: now, rawStatus: status.rawStatus, progress: 1,
                                   message: status.message, assets: assets.map(Self.asset))
            return finish(WorkerDecision(events: [event], outcome: .finished), now: now)
        case (.fetchingResults(let status), .failed(let error)):
            if Self.isTransient(error) {
                return finish(troubled(deferred(pollAgain(now: now, rawStatus: item.lastRawStatus), now: now), "results call failed: \(error)", now: now), now: now)
            }
            return finish(attemptFailed(error: "the job finished but its results are unavailable: \(error)", rawStatus: status.rawStatus, now: now), now: now)

        case (.fetchingLogs(let status), .logs(let entries)):
            return finish(attemptFailed(error: Self.errorText(status, logs: entries, lines: policy.logExcerptLines), rawStatus: status.rawStatus, now: now), now: now)
        case (.fetchingLogs(let status), .failed):
            return finish(attemptFailed(error: Self.errorText(status, logs: [], lines: 0), rawStatus: status.rawStatus, now: now), now: now)

        case (.cancelingOverdue(let status), .canceled), (.cancelingOverdue(let status), .failed(.notFound)):
            return finish(attemptFailed(error: "exceeded the maximum run time of \(item.maxRuntimeSeconds ?? 0) s; the job was canceled",
                                        rawStatus: status.rawStatus, now: now), now: now)
        case (.cancelingOverdue, .failed(let error)) where Self.isTransient(error):
            return finish(troubled(deferred(pollAgain(now: now, rawStatus: item.lastRawStatus), now: now), "cancel failed: \(error)", now: now), now: now)
        case (.cancelingOverdue(let status), .failed(let error)):
            return finish(attemptFailed(error: "exceeded the maximum run time of \(item.maxRuntimeSeconds ?? 0) s; cancel failed: \(error)",
                                        rawStatus: status.rawStatus, now: now), now: now)

        case (.findingToCancel, .found(let id?)):
            state = .canceling(jobID: id)
            return .call(.cancel(jobID: id))
        case (.findingToCancel, .found(nil)):
            guard item.pollCount + 1 < policy.cancelLookups else {
                return finish(WorkerDecision(events: [event(.canceled, now: now, message:
                    "no backend job was found for this attempt after \(policy.cancelLookups) lookups; none was canceled")], outcome: .canceled), now: now)
            }
            var again = item
            again.pollCount += 1
            return finish(deferred(again, delay: policy.pollDelay(after: item.pollCount), now: now), now: now)
        case (.findingToCancel, .failed(let error)) where Self.isTransient(error):
            return finish(cancelRetried(item, after: error, now: now), now: now)
        case (.findingToCancel, .failed(let error)):
            return finish(WorkerDecision(events: [event(.canceled, now: now, message: "could not look up the job to cancel it: \(error)")],
                                         outcome: .canceled), now: now)

        case (.canceling(let id), .canceled), (.canceling(let id), .failed(.notFound)):
            return finish(WorkerDecision(events: [event(.canceled, now: now, jobID: id)], outcome: .canceled), now: now)
        case (.canceling(let id), .failed(let error)) where Self.isTransient(error):
            var again = item
            again.backendJobID = id
            return finish(cancelRetried(again, after: error, now: now), now: now)
        case (.canceling(let id), .failed(let error)):
            return finish(WorkerDecision(events: [event(.canceled, now: now, jobID: id, message: "the backend refused the cancel: \(error)")],
                                         outcome: .canceled), now: now)

        default:
            return finish(.deadLetter(reason: "internal: unexpected answer \(answer) in state \(state)"), now: now)
        }
    }

    // MARK: Decisions

    private var jobID: String { item.backendJobID ?? "" }

    /// The longest a scheduled poll is sent back to wait for: a bound on a `not_before` set by
    /// another worker's clock.
    static let longestWait: Double = 86_400

    /// How long a scheduled poll is early by, when by more than half the shortest wait tier (a
    /// shorter wait would overshoot more than it saves); nil: poll now.
    func earlyBy(now: Date) -> Duration? {
        guard item.scheduled == true, item.wake != true, let notBefore = item.notBefore,
              let shortest = policy.waitTiers.first else { return nil }
        let early = min(notBefore.timeIntervalSince(now), Self.longestWait)
        guard early > Double(shortest) / 2 else { return nil }
        return .milliseconds(Int64(early * 1000))
    }

    private mutating func finish(_ decision: WorkerDecision, now: Date) -> Step {
        state = .done
        return .done(withLeases(decision, now: now))
    }

    /// Leases on every item handed on: one `lease` past the tile's last sign of life, with a
    /// heartbeat now (the new sign of life) when the decision carries one already or when the old
    /// one would leave the lease too short for the item's wait plus a quarter lease of slack.
    func withLeases(_ decision: WorkerDecision, now: Date) -> WorkerDecision {
        guard !decision.items.isEmpty else { return decision }
        var decision = decision
        let lease = policy.lease.inSeconds
        var alive = item.aliveAt ?? .distantPast
        let longestWait = Double(decision.items.compactMap(\.tier).max() ?? 0)
        if decision.heartbeats.isEmpty && alive.addingTimeInterval(lease) < now.addingTimeInterval(longestWait + lease / 4) {
            decision.heartbeats.append(heartbeat(now: now))
        }
        if !decision.heartbeats.isEmpty { alive = now }
        for index in decision.items.indices {
            decision.items[index].item.aliveAt = alive
            decision.items[index].item.leaseUntil = alive.addingTimeInterval(lease)
        }
        return decision
    }

    /// `decision` with a heartbeat saying what keeps the item from going on.
    private func troubled(_ decision: WorkerDecision, _ trouble: String, now: Date) -> WorkerDecision {
        var decision = decision
        decision.heartbeats.append(heartbeat(now: now, trouble: MessageLimits.clipped(trouble, to: MessageLimits.trouble), tries: item.pollCount + 1))
        return decision
    }

    private func heartbeat(now: Date, trouble: String? = nil, tries: Int? = nil) -> Heartbeat {
        Heartbeat(task: item.task, tile: item.tile, attempt: item.attempt, backend: item.backend, worker: worker, time: now,
                  trouble: trouble, tries: tries)
    }

    private func submitted(jobID: String, now: Date) -> WorkerDecision {
        var poll = item
        poll.kind = .poll
        poll.backendJobID = jobID
        poll.pollCount = 0
        poll.lastRawStatus = nil
        poll.mayExist = nil
        poll.submittedAt = now
        poll.host = policy.host
        poll.wake = nil
        poll.seenRunningAt = nil
        let delay = self.pollDelay(after: 0, looks: 0, now: now, submittedAt: now)
        poll.scheduled = isScheduled(submittedAt: now)
        poll.notBefore = now.addingTimeInterval(delay.inSeconds)
        let event = self.event(.submitted, now: now, jobID: jobID)
        return WorkerDecision(events: [event], items: [.init(item: poll, tier: policy.tier(for: delay))], outcome: .submitted)
    }

    private func submitFailed(_ error: BackendError, now: Date) -> WorkerDecision {
        if error.isConcurrencyLimit, case .tryLater(_, let message, let createdJob) = error {
            return parked(createdJob: createdJob, message: message, now: now)
        }
        if Self.isTransient(error) {
            return triedAgainLater(item, after: error, now: now)
        }
        return attemptFailed(error: "submit failed: \(error)", rawStatus: nil, now: now)
    }

    /// The platform will not start the attempt now: the tile goes back to the coordinator, parked,
    /// with the job the platform created. Only a submit's own refused start names its job: a
    /// lookup's listing is shared with other tiles (``LookupBatcher``), so a refusal met there may
    /// be another tile's, and the item's own job (if it carries one) is kept instead.
    private func parked(createdJob: String?, message: String, now: Date) -> WorkerDecision {
        var job = item.backendJobID
        if case .submitting = state, let createdJob { job = createdJob }
        var event = event(.queued, now: now, jobID: job,
                          message: "the platform refused to start the job for now (\(message)): parked until the backend has a free slot")
        event.parked = true
        return WorkerDecision(events: [event], outcome: .parked)
    }

    private mutating func polled(_ status: BackendJobStatus, now: Date) -> Step {
        reading = status
        if item.wake == true, status.status == .failed || status.status == .canceled {
            // A failure starts the next attempt: only the poll chain may do that, once.
            return finish(WorkerDecision(outcome: .polled), now: now)
        }
        switch status.status {
        case .finished:
            state = .fetchingResults(status)
            return .call(.results(jobID: jobID))
        case .failed:
            state = .fetchingLogs(status)
            return .call(.logs(jobID: jobID))
        case .canceled:
            return finish(WorkerDecision(events: [event(.canceled, now: now, rawStatus: status.rawStatus, message: status.message)], outcome: .canceled), now: now)
        case .submitted, .running:
            if let limit = item.maxRuntimeSeconds, let since = item.submittedAt, now.timeIntervalSince(since) > Double(limit) {
                state = .cancelingOverdue(status)
                return .call(.cancel(jobID: jobID))
            }
            var events: [StatusEvent] = []
            if status.rawStatus != item.lastRawStatus {
                events.append(event(status.status == .running ? .running : .submitted, now: now, rawStatus: status.rawStatus,
                                    progress: status.progress.map { min(max($0 / 100, 0), 1) }, message: status.message))
            }
            if item.wake == true {
                // The poll chain it was copied from carries on; a wake only looks.
                return finish(WorkerDecision(events: events, outcome: .polled), now: now)
            }
            var next = pollAgain(now: now, rawStatus: status.rawStatus)
            next.seenRunningAt = now
            let delay = self.pollDelay(after: item.pollCount, looks: item.pollCount + 1, now: now, submittedAt: item.submittedAt)
            return finish(WorkerDecision(events: events, items: [.init(item: next, tier: policy.tier(for: delay))], outcome: .polled), now: now)
        }
    }

    /// The poll item for the next look at the job.
    private func pollAgain(now: Date, rawStatus: String?) -> WorkItem {
        var next = item
        next.pollCount += 1
        next.lastRawStatus = rawStatus
        if let here = policy.host, CommandBackend.parse(jobID: jobID)?.host == here {
            next.host = here  // a republished poll came by the backend's queue: the next goes to this host's
        }
        next.notBefore = now.addingTimeInterval(self.pollDelay(after: item.pollCount, looks: item.pollCount + 1, now: now, submittedAt: item.submittedAt).inSeconds)
        next.scheduled = isScheduled(submittedAt: item.submittedAt)
        return next
    }

    /// Whether polls follow the learned schedule: an end is known, the submit time is (a poll
    /// republished without it starts over on the doubling schedule) and no callback wakes the job.
    private func isScheduled(submittedAt: Date?) -> Bool? {
        policy.expectedEnd != nil && submittedAt != nil && item.job.subscriber?.successUri == nil ? true : nil
    }

    /// The delay before the next poll, `looks` status calls after the submit: around the learned
    /// end of the task's jobs when known, else growing from `poll.min_interval` (after `polls`
    /// earlier polls); `poll.max_interval` at once for a job that calls back (its subscriber URLs
    /// wake it; these polls are the safety net).
    func pollDelay(after polls: Int, looks: Int, now: Date, submittedAt: Date?) -> Duration {
        if item.job.subscriber?.successUri != nil { return policy.pollMaximum }
        guard isScheduled(submittedAt: submittedAt) == true, let submittedAt else { return policy.pollDelay(after: polls) }
        return policy.schedule.delay(elapsed: now.timeIntervalSince(submittedAt), polls: looks)
    }

    /// `again` back after a "try later" or a transient failure, with the growing defer delay and a
    /// heartbeat saying why.
    private func triedAgainLater(_ again: WorkItem, after error: BackendError, now: Date) -> WorkerDecision {
        var again = again
        again.pollCount = item.pollCount + 1
        let decision = deferred(again, delay: policy.deferDelay(after: item.pollCount, retryAfter: Self.retryAfter(error)), now: now)
        return troubled(decision, "\(Self.verb(of: item.kind, state: state)) failed: \(error)", now: now)
    }

    /// A cancel the platform did not carry out (unreachable, "try later") is retried in the
    /// background; on its first failure the tile ends `canceled` in tilefleet at once, with its
    /// job left open (``StatusEvent/cancelUnconfirmed``) as one that may still run.
    private func cancelRetried(_ again: WorkItem, after error: BackendError, now: Date) -> WorkerDecision {
        var decision = triedAgainLater(again, after: error, now: now)
        if item.pollCount == 0 {
            var canceled = event(.canceled, now: now, jobID: again.backendJobID,
                                 message: "canceled in tilefleet; the platform did not confirm the cancel (\(error)): it is retried, the job may still run")
            canceled.cancelUnconfirmed = true
            decision.events.append(canceled)
        }
        return decision
    }

    /// What was being done, for a trouble text.
    private static func verb(of kind: WorkItem.Kind, state: State) -> String {
        switch state {
        case .finding, .findingToCancel: "lookup"
        case .resuming: "start"
        case .submitting: "submit"
        case .canceling: "cancel"
        default: kind.rawValue
        }
    }

    private func deferred(_ again: WorkItem, now: Date) -> WorkerDecision {
        deferred(again, delay: policy.pollDelay(after: item.pollCount), now: now)
    }

    private func deferred(_ again: WorkItem, delay: Duration, now: Date) -> WorkerDecision {
        var again = again
        again.notBefore = now.addingTimeInterval(delay.inSeconds)
        return WorkerDecision(items: [.init(item: again, tier: policy.tier(for: delay) ?? policy.waitTiers.first)], outcome: .deferred)
    }

    /// The attempt failed: the next attempt while attempts remain, else the tile failed. With
    /// ``WorkItem/retryElsewhere`` the next attempt is released to the dispatcher (the tile goes
    /// back to `pending`), which may start it on another of the task's backends.
    private func attemptFailed(error: String, rawStatus: String?, now: Date) -> WorkerDecision {
        guard item.attempt < item.maxAttempts else {
            return WorkerDecision(events: [event(.failed, now: now, rawStatus: rawStatus, error: error)], outcome: .failed)
        }
        if item.retryElsewhere == true {
            var released = event(.retrying, now: now, rawStatus: rawStatus, error: error)
            released.released = true
            return WorkerDecision(events: [released], outcome: .retrying)
        }
        let next = WorkItem(kind: .submit, task: item.task, tile: item.tile, attempt: item.attempt + 1, maxAttempts: item.maxAttempts,
                            backend: item.backend, job: item.job, notBefore: now.addingTimeInterval(policy.retryDelay.inSeconds),
                            maxRuntimeSeconds: item.maxRuntimeSeconds)
        return WorkerDecision(events: [event(.retrying, now: now, rawStatus: rawStatus, error: error)],
                              items: [.init(item: next, tier: policy.tier(for: policy.retryDelay))], outcome: .retrying)
    }

    private func event(_ status: EventStatus, now: Date, jobID: String? = nil, rawStatus: String? = nil, progress: Double? = nil,
                       message: String? = nil, assets: [StatusEvent.Asset]? = nil, error: String? = nil) -> StatusEvent {
        var event = StatusEvent(task: item.task, tile: item.tile, attempt: item.attempt, status: status, rawStatus: rawStatus, backend: item.backend,
                                backendJobID: jobID ?? item.backendJobID, progress: progress,
                                message: message.map { MessageLimits.clipped($0, to: MessageLimits.message) }, assets: assets,
                                error: error.map { MessageLimits.clipped($0, to: MessageLimits.error) }, worker: worker, time: now)
        event.costs = reading?.costs
        event.usage = reading?.usage
        return event
    }

    // MARK: Helpers

    /// Whether a failed call is worth trying again later rather than failing the attempt. Beyond
    /// ``BackendError/isTransient``, an answer that is not what the API defines (a truncated body)
    /// is taken as a glitch of the moment.
    static func isTransient(_ error: BackendError) -> Bool {
        if case .invalidResponse = error { return true }
        return error.isTransient
    }

    static func retryAfter(_ error: BackendError) -> Duration? {
        if case .tryLater(let retryAfter, _, _) = error { return retryAfter }
        return nil
    }

    static func asset(_ asset: BackendAsset) -> StatusEvent.Asset {
        StatusEvent.Asset(key: MessageLimits.clipped(asset.name, to: MessageLimits.title), href: asset.href, type: asset.mediaType, roles: asset.roles.isEmpty ? nil : asset.roles,
                          title: MessageLimits.clipped(asset.title ?? asset.name, to: MessageLimits.title), size: asset.size)
    }

    /// The platform's own error: the last `lines` of its error-level log lines when it logged any,
    /// else its status text, else the status it ended in. Info and debug lines never pass for the
    /// error. Entries are kept on their own lines (tables show the text on one); at most 4000 characters.
    static func errorText(_ status: BackendJobStatus, logs: [BackendLogEntry], lines: Int) -> String {
        let errors = logs.filter { $0.level?.lowercased() == "error" }
            .map { $0.message.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
            .suffix(max(lines, 0)).map { String($0.prefix(500)) }
        let message = status.message.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
        let text = errors.isEmpty ? message ?? "the backend job ended with status '\(status.rawStatus)'" : errors.joined(separator: "\n")
        return String(text.prefix(4000))
    }
}
