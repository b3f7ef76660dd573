import Backends
import FleetModel
import Foundation
import Messaging
import Testing
import Worker

/// The decision logic alone: items and backend answers in, publications and settlements out.
@Suite struct WorkItemHandlerTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let policy = WorkerPolicy(pollMinimum: .seconds(10), pollMaximum: .seconds(300), waitTiers: [5, 15, 60, 300])
    static let job = BackendJob(process: .named(id: "ndvi", namespace: nil))

    static func item(_ kind: WorkItem.Kind = .submit, attempt: Int = 1, maxAttempts: Int = 3, jobID: String? = nil,
                     pollCount: Int = 0, lastRaw: String? = nil, submittedAt: Date? = nil, maxRuntime: Int? = nil) -> WorkItem {
        WorkItem(kind: kind, task: "t1", tile: "31UFS", attempt: attempt, maxAttempts: maxAttempts, backend: "sim", job: job,
                 backendJobID: jobID, pollCount: pollCount, submittedAt: submittedAt, maxRuntimeSeconds: maxRuntime, lastRawStatus: lastRaw)
    }

    /// Runs the handler with scripted answers; returns the calls it made and its decision.
    static func run(_ item: WorkItem, redelivered: Bool = false, policy: WorkerPolicy = policy, worker: String = "test:1",
                    answers: [BackendAnswer], now: Date = now) -> ([BackendCall], WorkerDecision?) {
        var handler = WorkItemHandler(item: item, redelivered: redelivered, policy: policy, worker: worker)
        var calls: [BackendCall] = []
        var step = handler.start(now: now)
        var answers = answers[...]
        while case .call(let call) = step {
            calls.append(call)
            guard let answer = answers.popFirst() else { return (calls, nil) }
            step = handler.receive(answer, now: now)
        }
        guard case .done(let decision) = step else { return (calls, nil) }
        return (calls, decision)
    }

    @Test func aFreshSubmitSubmitsPublishesSubmittedAndSchedulesThePoll() throws {
        let (calls, decision) = Self.run(Self.item(), answers: [.submitted(jobID: "j-1")])
        #expect(calls == [.submit(Self.job, idempotencyKey: "tilefleet:t1:31UFS:1")])
        let d = try #require(decision)
        #expect(d.settlement == .ack)
        #expect(d.outcome == .submitted)
        #expect(d.events.map(\.status) == [.submitted])
        #expect(d.events[0].backendJobID == "j-1")
        #expect(d.events[0].worker == "test:1")
        #expect(d.items.count == 1)
        #expect(d.items[0].item.kind == .poll)
        #expect(d.items[0].item.backendJobID == "j-1")
        #expect(d.items[0].item.submittedAt == Self.now)
        #expect(d.items[0].tier == 5)
    }

    @Test func aRedeliveredSubmitPausesForTheGraceThenFindsTheJobAndDoesNotSubmitAgain() throws {
        let (calls, decision) = Self.run(Self.item(), redelivered: true, answers: [.paused, .found(jobID: "j-old")])
        #expect(calls == [.pause(Self.policy.redeliveryGrace), .find(idempotencyKey: "tilefleet:t1:31UFS:1")])
        #expect(decision?.items.first?.item.backendJobID == "j-old")
        #expect(decision?.events.map(\.status) == [.submitted])
    }

    @Test func aRedeliveredSubmitWithNoJobFoundSubmitsOnce() {
        let (calls, decision) = Self.run(Self.item(), redelivered: true, answers: [.paused, .found(jobID: nil), .submitted(jobID: "j-new")])
        #expect(calls.map(\.name) == ["pause", "find", "submit"])
        #expect(decision?.outcome == .submitted)
    }

    // MARK: Leases

    @Test func anItemWhoseLeaseRanOutIsDroppedWithoutACall() throws {
        for kind in [WorkItem.Kind.submit, .poll] {
            var item = Self.item(kind, jobID: kind == .poll ? "j" : nil)
            item.leaseUntil = Self.now.addingTimeInterval(-1)
            let (calls, decision) = Self.run(item, answers: [])
            #expect(calls.isEmpty)
            let d = try #require(decision)
            #expect(d.outcome == .lapsed && d.settlement == .ack)
            #expect(d.events.isEmpty && d.items.isEmpty && d.heartbeats.isEmpty)
        }
    }

    @Test func aCancelIsCarriedOutWhateverItsLease() {
        var item = Self.item(.cancel, jobID: "j")
        item.leaseUntil = Self.now.addingTimeInterval(-600)
        let (calls, decision) = Self.run(item, answers: [.canceled])
        #expect(calls == [.cancel(jobID: "j")])
        #expect(decision?.outcome == .canceled)
    }

    @Test func itemsHandedOnCarryALeaseOneLeasePastTheLastSignOfLife() throws {
        var item = Self.item(.poll, jobID: "j", pollCount: 0, lastRaw: "running")
        item.aliveAt = Self.now.addingTimeInterval(-60)
        item.leaseUntil = Self.now.addingTimeInterval(540)
        let running = BackendJobStatus(status: .running, rawStatus: "running")
        let (_, decision) = Self.run(item, answers: [.status(running)])
        let d = try #require(decision)
        #expect(d.heartbeats.isEmpty, "a recent sign of life needs no heartbeat")
        #expect(d.items[0].item.aliveAt == item.aliveAt)
        #expect(d.items[0].item.leaseUntil == item.aliveAt!.addingTimeInterval(Self.policy.lease.inSeconds))
    }

    @Test func aHeartbeatGoesOutBeforeTheLeaseWouldOutrunTheItemsWait() throws {
        var item = Self.item(.poll, jobID: "j", pollCount: 6, lastRaw: "running")
        // Ten minutes of lease; the next poll waits 300 s; the last sign of life is 7 minutes old.
        item.aliveAt = Self.now.addingTimeInterval(-420)
        let running = BackendJobStatus(status: .running, rawStatus: "running")
        let (_, decision) = Self.run(item, answers: [.status(running)])
        let d = try #require(decision)
        #expect(d.items[0].tier == 300)
        #expect(d.heartbeats.count == 1)
        #expect(d.heartbeats[0].time == Self.now && d.heartbeats[0].trouble == nil)
        #expect(d.heartbeats[0].routingKey == "_alive.t1.31UFS")
        #expect(d.items[0].item.aliveAt == Self.now)
        #expect(d.items[0].item.leaseUntil == Self.now.addingTimeInterval(Self.policy.lease.inSeconds))
    }

    @Test func takingUpAParkedTileStartsItsOwnJobByIDWithoutALookup() throws {
        var item = Self.item(jobID: "j-own")
        item.mayExist = true
        let (calls, decision) = Self.run(item, answers: [.found(jobID: "j-own")])
        #expect(calls == [.resume(jobID: "j-own", idempotencyKey: item.idempotencyKey)])
        let d = try #require(decision)
        #expect(d.outcome == .submitted)
        #expect(d.events.map(\.status) == [.submitted])
        #expect(d.events[0].backendJobID == "j-own")
        #expect(d.items.map(\.item.kind) == [.poll])
        #expect(d.items[0].item.backendJobID == "j-own")
    }

    @Test func aParkedTileWhoseJobIsGoneSubmitsAgainUnderTheSameKey() throws {
        var item = Self.item(jobID: "j-gone")
        item.mayExist = true
        let (calls, decision) = Self.run(item, answers: [.found(jobID: nil), .submitted(jobID: "j-new")])
        #expect(calls == [.resume(jobID: "j-gone", idempotencyKey: item.idempotencyKey), .submit(Self.job, idempotencyKey: item.idempotencyKey)])
        let d = try #require(decision)
        #expect(d.outcome == .submitted)
        #expect(d.events[0].backendJobID == "j-new")
    }

    @Test func tryLaterWhenTakingUpAParkedTileParksItAgainWithItsOwnJob() throws {
        // The refusal may name another job (a platform's message, or a lookup's shared listing on
        // platforms without take-up by id), so the item's own job is what is parked.
        var item = Self.item(jobID: "j-own")
        item.mayExist = true
        let (calls, decision) = Self.run(item, answers: [.failed(.tryLater(retryAfter: nil, message: "ConcurrentJobLimit", jobID: "j-other"))])
        #expect(calls.map(\.name) == ["resume"])
        let d = try #require(decision)
        #expect(d.outcome == .parked)
        #expect(d.items.isEmpty)
        #expect(d.heartbeats.isEmpty)
        #expect(d.events.map(\.status) == [.queued])
        #expect(d.events[0].parked == true)
        #expect(d.events[0].backendJobID == "j-own")
        #expect(d.events[0].attempt == 1)
        #expect(d.events[0].message?.contains("ConcurrentJobLimit") == true)
    }

    @Test func eventsAfterAStatusCallCarryTheJobsCostsAndUsage() throws {
        let usage = ["cpu": UsageQuantity(value: 40, unit: "cpu-seconds")]
        let finished = BackendJobStatus(status: .finished, rawStatus: "finished", costs: 12.5, usage: usage)
        let (_, done) = Self.run(Self.item(.poll, jobID: "j-1", lastRaw: "running"), answers: [.status(finished), .results([])])
        let event = try #require(done?.events.first)
        #expect(event.status == .finished)
        #expect(event.costs == 12.5)
        #expect(event.usage == usage)
        // A failed attempt that is retried still reports what it cost, for its own attempt.
        let failed = BackendJobStatus(status: .failed, rawStatus: "error", costs: 3)
        let (_, retried) = Self.run(Self.item(.poll, attempt: 1, jobID: "j-1", lastRaw: "running"), answers: [.status(failed), .logs([])])
        #expect(retried?.events.map(\.status) == [.retrying])
        #expect(retried?.events.first?.attempt == 1)
        #expect(retried?.events.first?.costs == 3)
        // A submit reports no costs: nothing was read.
        let (_, submitted) = Self.run(Self.item(), answers: [.submitted(jobID: "j-2")])
        #expect(submitted?.events.first?.costs == nil)
    }

    @Test func aFinishedJobHandsNothingOnAndSendsNoHeartbeat() throws {
        var item = Self.item(.poll, jobID: "j", lastRaw: "running")
        item.aliveAt = Self.now.addingTimeInterval(-10_000)
        let (_, decision) = Self.run(item, answers: [.status(BackendJobStatus(status: .finished, rawStatus: "finished")), .results([])])
        #expect(decision?.outcome == .finished)
        #expect(decision?.heartbeats.isEmpty == true)
    }

    @Test func aDeferredSubmitWithoutJobSubmitsAfterTheLookup() {
        let (calls, decision) = Self.run(Self.item(pollCount: 1), redelivered: true, answers: [.found(jobID: nil), .submitted(jobID: "j-2")])
        #expect(calls.map(\.name) == ["find", "submit"])
        #expect(decision?.outcome == .submitted)
    }

    @Test func aStartRefusedWithTryLaterParksTheTileWithTheCreatedJobAndHandsNothingOn() throws {
        let (_, decision) = Self.run(Self.item(), answers: [.failed(.tryLater(retryAfter: .seconds(30), message: "ConcurrentJobLimit: limit (5) reached", jobID: "j-3"))])
        let d = try #require(decision)
        #expect(d.outcome == .parked)
        #expect(d.settlement == .ack)
        #expect(d.items.isEmpty, "the coordinator starts it again; the worker does not retry blindly")
        #expect(d.events.map(\.status) == [.queued])
        #expect(d.events[0].parked == true)
        #expect(d.events[0].backendJobID == "j-3")
        // A create refused before any job existed parks the tile with no job.
        let (_, refused) = Self.run(Self.item(), answers: [.failed(.tryLater(retryAfter: nil, message: "TooManyJobs", jobID: nil))])
        #expect(refused?.outcome == .parked)
        #expect(refused?.events.first?.backendJobID == nil)
        // The parked event survives the wire.
        let decoded = try MessageCoding.decoder().decode(StatusEvent.self, from: Data(d.events[0].encoded()))
        #expect(decoded.parked == true)
    }

    @Test func aThrottledSubmitIsDeferredWithAHeartbeatNotParkedAndThenFindsFirst() throws {
        // A rate limit or quota is no concurrency limit: waiting for a job to end does not lift it.
        var item = Self.item(pollCount: 2)
        item.aliveAt = Self.now
        let (_, decision) = Self.run(item, answers: [.found(jobID: nil),
                                                     .failed(.tryLater(retryAfter: .seconds(30), message: "TooManyRequests: slow down", jobID: "j-3"))])
        let d = try #require(decision)
        #expect(d.outcome == .deferred)
        #expect(d.events.isEmpty)
        #expect(d.items.count == 1)
        #expect(d.items[0].item.kind == .submit)
        #expect(d.items[0].item.attempt == 1)
        #expect(d.items[0].tier == 15)  // Retry-After 30 s → the longest tier not above it
        #expect(d.heartbeats.count == 1)
        #expect(d.heartbeats[0].trouble?.contains("submit failed") == true)
        #expect(d.heartbeats[0].trouble?.contains("TooManyRequests") == true)
        #expect(d.heartbeats[0].tries == 3)
        let (calls, _) = Self.run(d.items[0].item, answers: [.found(jobID: "j-3")])
        #expect(calls.map(\.name) == ["find"])
    }

    @Test func transientAndGarbageAnswersDeferInsteadOfFailing() {
        for error: BackendError in [.server(status: 503, message: "x"), .transport(message: "timeout"),
                                    .invalidResponse(message: "truncated"), .ambiguousSubmit(message: "?")] {
            let (_, decision) = Self.run(Self.item(), answers: [.failed(error)])
            #expect(decision?.outcome == .deferred)
            #expect(decision?.events.isEmpty == true)
        }
    }

    @Test func aRejectedSubmitFailsTheAttemptAndRetries() throws {
        let (_, decision) = Self.run(Self.item(), answers: [.failed(.rejected(status: 400, message: "bad process"))])
        let d = try #require(decision)
        #expect(d.outcome == .retrying)
        #expect(d.events.map(\.status) == [.retrying])
        #expect(d.events[0].error?.contains("bad process") == true)
        #expect(d.items[0].item.kind == .submit)
        #expect(d.items[0].item.attempt == 2)
        #expect(d.items[0].item.idempotencyKey == "tilefleet:t1:31UFS:2")
        #expect(d.items[0].item.backendJobID == nil)
    }

    @Test func aFreshRetryAttemptSubmitsWithoutALookup() {
        let (calls, _) = Self.run(Self.item(attempt: 2), answers: [.submitted(jobID: "j")])
        #expect(calls.map(\.name) == ["submit"])
    }

    @Test func aPollPublishesAnEventOnlyWhenTheStatusChanged() throws {
        let running = BackendJobStatus(status: .running, rawStatus: "running", progress: 40)
        let (calls, first) = Self.run(Self.item(.poll, jobID: "j", pollCount: 0, lastRaw: "queued"), answers: [.status(running)])
        #expect(calls == [.status(jobID: "j")])
        let d = try #require(first)
        #expect(d.events.map(\.status) == [.running])
        #expect(d.events[0].progress == 0.4)
        #expect(d.items[0].item.lastRawStatus == "running")
        #expect(d.items[0].item.pollCount == 1)
        let (_, second) = Self.run(d.items[0].item, answers: [.status(running)])
        #expect(second?.events.isEmpty == true)
        #expect(second?.outcome == .polled)
    }

    @Test func thePollDelayGrowsFromMinimumToMaximumOnTheTiers() {
        let policy = Self.policy
        #expect(policy.pollDelay(after: 0) == .seconds(10))
        #expect(policy.pollDelay(after: 1) == .seconds(20))
        #expect(policy.pollDelay(after: 10) == .seconds(300))
        #expect(policy.tier(for: .seconds(10)) == 5)
        #expect(policy.tier(for: .seconds(20)) == 15)
        #expect(policy.tier(for: .seconds(80)) == 60)
        #expect(policy.tier(for: .seconds(300)) == 300)
        #expect(policy.tier(for: .seconds(1)) == 5)
        #expect(policy.tier(for: .zero) == nil)
        let tiers = (0..<8).map { pollCount in
            Self.run(Self.item(.poll, jobID: "j", pollCount: pollCount, lastRaw: "running"),
                     answers: [.status(BackendJobStatus(status: .running, rawStatus: "running"))]).1?.items[0].tier
        }
        #expect(tiers == [5, 15, 15, 60, 60, 300, 300, 300])
    }

    @Test func aFinishedJobFetchesResultsAndPublishesFinished() throws {
        let asset = BackendAsset(name: "out.tif", href: "https://x/out.tif", mediaType: "image/tiff", roles: ["data"])
        let (calls, decision) = Self.run(Self.item(.poll, jobID: "j"),
                                         answers: [.status(BackendJobStatus(status: .finished, rawStatus: "finished")), .results([asset])])
        #expect(calls == [.status(jobID: "j"), .results(jobID: "j")])
        let d = try #require(decision)
        #expect(d.outcome == .finished)
        #expect(d.items.isEmpty)
        #expect(d.events.map(\.status) == [.finished])
        #expect(d.events[0].assets == [StatusEvent.Asset(key: "out.tif", href: "https://x/out.tif", type: "image/tiff", roles: ["data"], title: "out.tif")])
    }

    @Test func aFailedJobRetriesWithItsErrorLogLinesWhileAttemptsRemain() throws {
        let failed = BackendJobStatus(status: .failed, rawStatus: "error", message: "out of memory")
        let logs = [BackendLogEntry(level: "info", message: "starting"), BackendLogEntry(level: "error", message: "OOM in worker 3")]
        let (calls, decision) = Self.run(Self.item(.poll, attempt: 1, jobID: "j"), answers: [.status(failed), .logs(logs)])
        #expect(calls.map(\.name) == ["status", "logs"])
        let d = try #require(decision)
        #expect(d.outcome == .retrying)
        #expect(d.events.map(\.status) == [.retrying])
        #expect(d.events[0].error == "OOM in worker 3")
        #expect(d.items[0].item.attempt == 2)
        #expect(d.items[0].tier == 5)
    }

    /// A task over several backends with `retry_elsewhere`: the next attempt goes back to the
    /// dispatcher (a released `retrying`), not straight back to the backend that failed.
    @Test func withRetryElsewhereAFailedAttemptIsReleasedInsteadOfResubmittedHere() throws {
        let failed = BackendJobStatus(status: .failed, rawStatus: "error", message: "out of memory")
        var item = Self.item(.poll, attempt: 1, jobID: "j")
        item.retryElsewhere = true
        let (_, decision) = Self.run(item, answers: [.status(failed), .logs([])])
        let d = try #require(decision)
        #expect(d.outcome == .retrying)
        #expect(d.events.map(\.status) == [.retrying])
        #expect(d.events[0].released == true)
        #expect(d.events[0].error == "out of memory")
        #expect(d.items.isEmpty)
        // The last attempt still fails the tile.
        var last = Self.item(.poll, attempt: 3, jobID: "j")
        last.retryElsewhere = true
        let (_, final) = Self.run(last, answers: [.status(failed), .logs([])])
        #expect(try #require(final).events.map(\.status) == [.failed])
    }

    /// openeo-driver keeps no error-level lines: an info line must not pass for the error.
    @Test(arguments: [
        (BackendJobStatus(status: .failed, rawStatus: "error"), "the backend job ended with status 'error'"),
        (BackendJobStatus(status: .failed, rawStatus: "error", message: "  disk full \n"), "disk full"),
    ])
    func withoutErrorLinesTheStatusTextIsTheError(status: BackendJobStatus, expected: String) throws {
        let logs = [BackendLogEntry(level: "info", message: "hello world"), BackendLogEntry(level: "debug", message: "x=1"),
                    BackendLogEntry(message: "no level")]
        let (_, decision) = Self.run(Self.item(.poll, jobID: "j"), answers: [.status(status), .logs(logs)])
        #expect(try #require(decision).events.first?.error == expected)
    }

    @Test func onlyTheLastErrorLinesAreKeptEachOnItsOwnLine() throws {
        let failed = BackendJobStatus(status: .failed, rawStatus: "error", message: "generic failure")
        let logs = (1...8).map { BackendLogEntry(level: $0 == 4 ? "warning" : "ERROR", message: "problem \($0)") }
        let (_, decision) = Self.run(Self.item(.poll, jobID: "j"), answers: [.status(failed), .logs(logs)])
        #expect(try #require(decision).events.first?.error == "problem 3\nproblem 5\nproblem 6\nproblem 7\nproblem 8")
    }

    @Test func theLastAttemptFailsTheTileWithThePlatformsText() throws {
        let failed = BackendJobStatus(status: .failed, rawStatus: "failed", message: "no data")
        let (_, decision) = Self.run(Self.item(.poll, attempt: 3, maxAttempts: 3, jobID: "j"),
                                     answers: [.status(failed), .failed(.unsupported(message: "no logs"))])
        let d = try #require(decision)
        #expect(d.outcome == .failed)
        #expect(d.items.isEmpty)
        #expect(d.events.map(\.status) == [.failed])
        #expect(d.events[0].error == "no data")
        #expect(d.events[0].rawStatus == "failed")
    }

    @Test func aJobBeyondItsMaximumRunTimeIsCanceledAndCountsAsFailed() throws {
        let item = Self.item(.poll, attempt: 3, maxAttempts: 3, jobID: "j", submittedAt: Self.now.addingTimeInterval(-120), maxRuntime: 60)
        let (calls, decision) = Self.run(item, answers: [.status(BackendJobStatus(status: .running, rawStatus: "running")), .canceled])
        #expect(calls == [.status(jobID: "j"), .cancel(jobID: "j")])
        #expect(decision?.outcome == .failed)
        #expect(decision?.events.first?.error?.contains("maximum run time of 60 s") == true)
    }

    @Test func aPollErrorPollsAgainAndAVanishedJobFailsTheAttempt() {
        let (_, transient) = Self.run(Self.item(.poll, jobID: "j", pollCount: 2), answers: [.failed(.server(status: 502, message: "x"))])
        #expect(transient?.outcome == .deferred)
        #expect(transient?.items.first?.item.kind == .poll)
        #expect(transient?.items.first?.item.pollCount == 3)
        let (_, gone) = Self.run(Self.item(.poll, jobID: "j"), answers: [.failed(.notFound(message: "no such job"))])
        #expect(gone?.outcome == .retrying)
    }

    @Test func cancelCancelsAndPublishesCanceled() throws {
        let (calls, decision) = Self.run(Self.item(.cancel, jobID: "j"), answers: [.canceled])
        #expect(calls == [.cancel(jobID: "j")])
        #expect(decision?.events.map(\.status) == [.canceled])
        #expect(decision?.settlement == .ack)
        let (_, throttled) = Self.run(Self.item(.cancel, jobID: "j"), answers: [.failed(.tryLater(retryAfter: nil, message: "429", jobID: nil))])
        #expect(throttled?.outcome == .deferred)
        #expect(throttled?.items.first?.item.kind == .cancel)
    }

    @Test func aCancelThePlatformDoesNotCarryOutEndsTheTileAndIsRetried() throws {
        let (_, first) = Self.run(Self.item(.cancel, jobID: "j"), answers: [.failed(.transport(message: "connection refused"))])
        let d = try #require(first)
        #expect(d.outcome == .deferred)
        #expect(d.items.first?.item.kind == .cancel && d.items.first?.item.backendJobID == "j" && d.items.first?.item.pollCount == 1)
        #expect(d.events.map(\.status) == [.canceled])
        #expect(d.events.first?.cancelUnconfirmed == true && d.events.first?.backendJobID == "j")
        #expect(d.events.first?.message?.contains("connection refused") == true)
        #expect(d.heartbeats.first?.trouble?.contains("cancel failed") == true)

        // The retries that follow only retry: the tile has ended already.
        let (_, later) = Self.run(Self.item(.cancel, jobID: "j", pollCount: 1), answers: [.failed(.transport(message: "connection refused"))])
        #expect(later?.outcome == .deferred && later?.events.isEmpty == true)
        #expect(later?.items.first?.item.pollCount == 2)

        // A lookup that cannot reach the platform ends the tile the same way.
        let (_, lookup) = Self.run(Self.item(.cancel), answers: [.failed(.transport(message: "connection refused"))])
        #expect(lookup?.events.first?.cancelUnconfirmed == true && lookup?.items.first?.item.kind == .cancel)

        // A confirmed cancel closes the job.
        let (_, done) = Self.run(Self.item(.cancel, jobID: "j", pollCount: 3), answers: [.canceled])
        #expect(done?.events.first?.status == .canceled && done?.events.first?.cancelUnconfirmed == nil)
    }

    @Test func aCancelForAJobNotKnownYetFindsItByKeyAndCancelsIt() throws {
        let item = Self.item(.cancel)
        let (calls, decision) = Self.run(item, answers: [.found(jobID: "j-7"), .canceled])
        #expect(calls == [.find(idempotencyKey: item.idempotencyKey), .cancel(jobID: "j-7")])
        #expect(decision?.outcome == .canceled)
        #expect(decision?.events.first?.backendJobID == "j-7")
    }

    @Test func aCancelLooksAgainWhileTheSubmitHasNotLandedThenGivesUp() throws {
        // Not found yet: the same cancel comes back after the poll delay.
        let (_, early) = Self.run(Self.item(.cancel), answers: [.found(jobID: nil)])
        #expect(early?.outcome == .deferred)
        #expect(early?.events.isEmpty == true)
        let again = try #require(early?.items.first)
        #expect(again.item.kind == .cancel && again.item.backendJobID == nil && again.item.pollCount == 1)
        #expect(again.tier == 5)

        // After the last lookup: canceled, saying that no job was found.
        let last = Self.item(.cancel, pollCount: Self.policy.cancelLookups - 1)
        let (_, done) = Self.run(last, answers: [.found(jobID: nil)])
        #expect(done?.outcome == .canceled)
        #expect(done?.items.isEmpty == true)
        #expect(done?.events.first?.message?.contains("no backend job was found") == true)
    }

    @Test func aCanceledJobEndsTheTileAsCanceled() {
        let (_, decision) = Self.run(Self.item(.poll, jobID: "j"), answers: [.status(BackendJobStatus(status: .canceled, rawStatus: "canceled"))])
        #expect(decision?.outcome == .canceled)
        #expect(decision?.items.isEmpty == true)
    }

    @Test func aBackendsHugeMessageAndErrorAreClippedSoTheEventPassesTheRecorder() throws {
        let huge = String(repeating: "ü", count: 50_000)
        let (_, running) = Self.run(Self.item(.poll, jobID: "j"), answers: [.status(BackendJobStatus(status: .running, rawStatus: "running", message: huge))])
        let event = try #require(running?.events.first)
        #expect(event.message?.utf8.count == MessageLimits.message)
        #expect(try StatusEvent.decode(event.encoded()) == event)

        let (_, failed) = Self.run(Self.item(), answers: [.failed(.rejected(status: 400, message: huge))])
        let failure = try #require(failed?.events.first)
        #expect(failure.error.map { $0.utf8.count <= MessageLimits.error && $0.hasPrefix("submit failed") } == true)
        #expect(try StatusEvent.decode(failure.encoded()) == failure)
    }

    @Test func unreadableMessagesAreDeadLetteredWithAReason() {
        for body in ["not json", #"{"schema":"tilefleet.work-item/2"}"#, #"{"schema":"tilefleet.work-item/1","kind":"submit"}"#] {
            #expect(throws: MessageRejection.self) { try WorkItem.decode(Array(body.utf8)) }
        }
        let decision = WorkerDecision.deadLetter(reason: "missing field 'task'")
        #expect(decision.settlement == .deadLetter(reason: "missing field 'task'"))
        #expect(decision.events.isEmpty && decision.items.isEmpty)
    }

    @Test func publishedItemsSurviveTheWire() throws {
        let (_, decision) = Self.run(Self.item(), answers: [.submitted(jobID: "j-1")])
        let poll = try #require(decision?.items.first?.item)
        #expect(try WorkItem.decode(poll.encoded()) == poll)
    }

    // MARK: The branches where the second call fails

    static let finished = BackendJobStatus(status: .finished, rawStatus: "finished")
    static let overdue = item(.poll, attempt: 1, maxAttempts: 3, jobID: "j", submittedAt: now.addingTimeInterval(-120), maxRuntime: 60)

    @Test func resultsThatFailForAMomentArePolledAgain() throws {
        let (calls, decision) = Self.run(Self.item(.poll, jobID: "j", pollCount: 4),
                                         answers: [.status(Self.finished), .failed(.server(status: 503, message: "busy"))])
        #expect(calls == [.status(jobID: "j"), .results(jobID: "j")])
        let d = try #require(decision)
        #expect(d.outcome == .deferred)
        #expect(d.events.isEmpty, "nothing is published before the results are known")
        #expect(d.items.map(\.item.kind) == [.poll])
        #expect(d.items[0].item.pollCount == 5)
    }

    @Test func resultsThePlatformRefusesFailTheAttempt() throws {
        let (_, decision) = Self.run(Self.item(.poll, jobID: "j"), answers: [.status(Self.finished), .failed(.rejected(status: 410, message: "expired"))])
        let d = try #require(decision)
        #expect(d.outcome == .retrying)
        #expect(d.events.first?.error?.contains("the job finished but its results are unavailable") == true)
        #expect(d.events.first?.rawStatus == "finished")
        #expect(d.items.first?.item.attempt == 2)
    }

    @Test func logsThatCannotBeFetchedLeaveThePlatformsMessage() throws {
        let failed = BackendJobStatus(status: .failed, rawStatus: "error", message: "quota exceeded")
        let (calls, decision) = Self.run(Self.item(.poll, jobID: "j"), answers: [.status(failed), .failed(.transport(message: "reset"))])
        #expect(calls.map(\.name) == ["status", "logs"])
        let d = try #require(decision)
        #expect(d.outcome == .retrying)
        #expect(d.events.first?.error == "quota exceeded", "the status text when the logs are unavailable")
    }

    @Test func anOverdueCancelThatFailsForAMomentIsTriedAgainOnTheNextPoll() throws {
        let (calls, decision) = Self.run(Self.overdue, answers: [.status(BackendJobStatus(status: .running, rawStatus: "running")),
                                                                 .failed(.transport(message: "timeout"))])
        #expect(calls == [.status(jobID: "j"), .cancel(jobID: "j")])
        let d = try #require(decision)
        #expect(d.outcome == .deferred)
        #expect(d.items.first?.item.kind == .poll)
    }

    @Test func anOverdueCancelThePlatformRefusesStillFailsTheAttemptAndSaysSo() throws {
        let (_, decision) = Self.run(Self.overdue, answers: [.status(BackendJobStatus(status: .running, rawStatus: "running")),
                                                             .failed(.rejected(status: 409, message: "not cancelable"))])
        let d = try #require(decision)
        #expect(d.outcome == .retrying)
        #expect(d.events.first?.error?.contains("cancel failed: rejected (409): not cancelable") == true)
    }

    @Test func anOverdueJobGoneBeforeItsCancelCountsAsCanceled() throws {
        let (_, decision) = Self.run(Self.overdue, answers: [.status(BackendJobStatus(status: .running, rawStatus: "running")),
                                                             .failed(.notFound(message: "gone"))])
        let d = try #require(decision)
        #expect(d.outcome == .retrying)
        #expect(d.events.first?.error?.contains("the job was canceled") == true)
    }

    @Test func aCancelLookupThatFailsForAMomentIsTriedAgainLater() throws {
        let (_, decision) = Self.run(Self.item(.cancel), answers: [.failed(.server(status: 502, message: "bad gateway"))])
        let d = try #require(decision)
        #expect(d.outcome == .deferred)
        #expect(d.items.first?.item.kind == .cancel)
        #expect(d.items.first?.item.backendJobID == nil)
        #expect(d.items.first?.item.pollCount == 1)
    }

    @Test func aCancelLookupThePlatformRefusesEndsTheTileAsCanceledAndSaysWhy() throws {
        let (_, decision) = Self.run(Self.item(.cancel), answers: [.failed(.authentication(message: "token expired"))])
        let d = try #require(decision)
        #expect(d.outcome == .canceled)
        #expect(d.items.isEmpty)
        #expect(d.events.first?.message?.contains("could not look up the job to cancel it") == true)
    }

    @Test func aCancelThePlatformRefusesIsRecordedWithItsReason() throws {
        let (_, decision) = Self.run(Self.item(.cancel, jobID: "j"), answers: [.failed(.rejected(status: 400, message: "already finished"))])
        let d = try #require(decision)
        #expect(d.outcome == .canceled)
        #expect(d.events.first?.backendJobID == "j")
        #expect(d.events.first?.message == "the backend refused the cancel: rejected (400): already finished")
    }

    @Test func aCancelOfAJobFoundByKeyKeepsItsIdWhenTriedAgain() throws {
        let item = Self.item(.cancel)
        let (_, decision) = Self.run(item, answers: [.found(jobID: "j-9"), .failed(.transport(message: "reset"))])
        let d = try #require(decision)
        #expect(d.outcome == .deferred)
        #expect(d.items.first?.item.backendJobID == "j-9", "the lookup is not repeated")
    }

    @Test func anAnswerThatDoesNotFitTheCallIsDeadLettered() throws {
        let (_, decision) = Self.run(Self.item(.poll, jobID: "j"), answers: [.submitted(jobID: "other")])
        let d = try #require(decision)
        #expect(d.outcome == .deadLettered)
        guard case .deadLetter(let reason) = d.settlement else {
            Issue.record("expected a dead-letter settlement, got \(d.settlement)")
            return
        }
        #expect(reason.contains("unexpected answer"))
    }

    @Test func aRepublishedSubmitLooksItsJobUpBeforeSubmitting() throws {
        var item = Self.item()
        item.mayExist = true
        let (found, foundDecision) = Self.run(item, answers: [.found(jobID: "j-earlier")])
        #expect(found == [.find(idempotencyKey: item.idempotencyKey)], "no second submit when the job exists")
        #expect(foundDecision?.outcome == .submitted)
        #expect(foundDecision?.events.first?.backendJobID == "j-earlier")
        let (missing, missingDecision) = Self.run(item, answers: [.found(jobID: nil), .submitted(jobID: "j-new")])
        #expect(missing == [.find(idempotencyKey: item.idempotencyKey), .submit(Self.job, idempotencyKey: item.idempotencyKey)])
        #expect(missingDecision?.outcome == .submitted)
    }

    @Test func mayExistTravelsOnTheWireAndIsAbsentWhenUnset() throws {
        var item = Self.item()
        #expect(!String(decoding: item.encoded(), as: UTF8.self).contains("may_exist"))
        item.mayExist = true
        #expect(try WorkItem.decode(item.encoded()).mayExist == true)
    }

    // MARK: Command backends (jobs on the worker's own host)

    static var commandPolicy: WorkerPolicy {
        var policy = policy
        policy.host = "host-a"
        return policy
    }

    static func runCommand(_ item: WorkItem, answers: [BackendAnswer]) -> ([BackendCall], WorkerDecision?) {
        run(item, policy: commandPolicy, worker: "host-a:1", answers: answers)
    }

    @Test func aCommandJobsPollsGoToItsHostsQueue() throws {
        let (_, decision) = Self.runCommand(Self.item(), answers: [.submitted(jobID: "host-a/tilefleet%3At1%3A31UFS%3A1")])
        let poll = try #require(decision?.items.first?.item)
        #expect(poll.host == "host-a")
        #expect(poll.routingKey == "sim@host-a")
        // A platform backend's polls stay on the backend's queue.
        let (_, platform) = Self.run(Self.item(), answers: [.submitted(jobID: "j-1")])
        #expect(platform?.items.first?.item.host == nil)
        #expect(platform?.items.first?.item.routingKey == "sim")
    }

    @Test func aPollOrCancelOfAnotherHostsJobIsPassedOnWithoutACall() throws {
        for kind in [WorkItem.Kind.poll, .cancel] {
            let (calls, decision) = Self.runCommand(Self.item(kind, jobID: "host-b/k"), answers: [])
            #expect(calls.isEmpty)
            let d = try #require(decision)
            #expect(d.events.isEmpty)
            #expect(d.items.count == 1)
            #expect(d.items[0].item.host == "host-b")
            #expect(d.items[0].item.kind == kind)
            #expect(d.items[0].tier == nil)
        }
        // Its own host's job is polled here, and its next poll goes to this host's queue.
        let (calls, own) = Self.runCommand(Self.item(.poll, jobID: "host-a/k"), answers: [.status(BackendJobStatus(status: .running, rawStatus: "running"))])
        #expect(calls == [.status(jobID: "host-a/k")])
        #expect(own?.items.first?.item.routingKey == "sim@host-a")
    }

    @Test func theNextAttemptOfAFailedCommandJobMayRunOnAnyHost() throws {
        var item = Self.item(.poll, jobID: "host-a/k")
        item.host = "host-a"
        let (_, decision) = Self.runCommand(item, answers: [.status(BackendJobStatus(status: .failed, rawStatus: "failed", message: "the host restarted")), .logs([])])
        let next = try #require(decision?.items.first?.item)
        #expect(next.kind == .submit && next.attempt == 2)
        #expect(next.host == nil && next.routingKey == "sim")
    }

    // MARK: Callbacks

    static func subscribed(_ item: WorkItem) -> WorkItem {
        var item = item
        item.job.subscriber = BackendJob.Subscriber(successUri: "http://w:9480/callbacks/abc")
        return item
    }

    @Test func aJobThatCallsBackIsPolledAtTheLongestIntervalOnly() throws {
        let (_, submitted) = Self.run(Self.subscribed(Self.item()), answers: [.submitted(jobID: "j-1")])
        #expect(submitted?.items.first?.tier == 300)
        let (_, polled) = Self.run(Self.subscribed(Self.item(.poll, jobID: "j-1")), answers: [.status(BackendJobStatus(status: .running, rawStatus: "running"))])
        #expect(polled?.items.first?.tier == 300)
    }

    @Test func aWakePollLooksWithoutCarryingTheChainOn() throws {
        var wake = Self.subscribed(Self.item(.poll, jobID: "j-1", lastRaw: "running"))
        wake.wake = true
        let (_, running) = Self.run(wake, answers: [.status(BackendJobStatus(status: .running, rawStatus: "running"))])
        #expect(running?.items.isEmpty == true && running?.events.isEmpty == true)
        // A failure is left to the chain: only it may start the next attempt.
        let (calls, failed) = Self.run(wake, answers: [.status(BackendJobStatus(status: .failed, rawStatus: "failed"))])
        #expect(calls == [.status(jobID: "j-1")])
        #expect(failed?.items.isEmpty == true && failed?.events.isEmpty == true)
        // A finished job ends the tile at once.
        let (_, finished) = Self.run(wake, answers: [.status(BackendJobStatus(status: .finished, rawStatus: "successful")), .results([])])
        #expect(finished?.outcome == .finished)
        #expect(finished?.events.map(\.status) == [.finished])
    }
}
