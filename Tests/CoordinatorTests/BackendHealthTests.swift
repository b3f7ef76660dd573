import Coordinator
import Testing

struct BackendHealthTests {
    @Test func failuresInARowMakeABackendUnhealthyWithTheLatestReason() {
        var health = BackendHealth(failureThreshold: 3)
        #expect(health.observe(.init(failuresInARow: 2, reason: "transport error: connection refused")) == nil)
        #expect(health.isHealthy)
        let change = health.observe(.init(failuresInARow: 3, reason: "transport error: connection refused"))
        #expect(change?.healthy == false)
        #expect(change?.reason == "3 submits in a row failed, the latest: transport error: connection refused")
        #expect(health.state == .unhealthy(reason: "3 submits in a row failed, the latest: transport error: connection refused"))
        #expect(health.needsProbe)
        // Once unhealthy, more failures change nothing (no second event).
        #expect(health.observe(.init(failuresInARow: 9)) == nil)
    }

    @Test func lostCredentialsMakeItUnhealthyAtOnce() {
        var health = BackendHealth(failureThreshold: 5)
        let change = health.observe(.init(failuresInARow: 1, authenticationLost: true, reason: "invalid token"))
        #expect(change == .init(healthy: false, reason: "authentication lost: invalid token"))
    }

    @Test func onlyASuccessfulProbeMakesItHealthyAgain() {
        var health = BackendHealth(state: .unhealthy(reason: "3 submits in a row failed"), failureThreshold: 3)
        // Observations of submits do not heal it: none are sent while it is unhealthy.
        #expect(health.observe(.init(failuresInARow: 0)) == nil)
        #expect(!health.isHealthy)
        #expect(health.probed("transport error: connection refused") == nil)
        #expect(health.state == .unhealthy(reason: "probe failed: transport error: connection refused"))
        #expect(health.probed(nil) == .init(healthy: true, reason: nil))
        #expect(health.isHealthy && !health.needsProbe)
        // A probe of a healthy backend changes nothing.
        #expect(health.probed("whatever") == nil)
        #expect(health.isHealthy)
    }
}

struct AdaptiveLimitTests {
    @Test func aRefusalDropsTheLimitToWhatThePlatformHolds() {
        var limit = AdaptiveLimit(maxActive: 20)
        #expect(limit.limit == 20)
        #expect(limit.observe(.init(accepted: 5, refused: 15, holding: 5)) == 5)
        // Tiles queued before the cut are refused again while they wait: no further cut below
        // what the platform holds.
        #expect(limit.observe(.init(accepted: 0, refused: 3, holding: 5)) == nil)
        #expect(limit.limit == 5)
        // It holds fewer now (jobs ended, the refusal came from someone else's): down to that.
        #expect(limit.observe(.init(accepted: 0, refused: 1, holding: 3)) == 3)
    }

    @Test func withoutKnowingWhatThePlatformHoldsTheCutIsMultiplicative() {
        var limit = AdaptiveLimit(maxActive: 20, decreaseFactor: 0.5)
        #expect(limit.observe(.init(accepted: 0, refused: 1, holding: 0)) == 10)
        #expect(limit.observe(.init(accepted: 0, refused: 1, holding: 0)) == 5)
        var floor = AdaptiveLimit(maxActive: 1)
        #expect(floor.observe(.init(accepted: 0, refused: 4, holding: 0)) == nil)
        #expect(floor.limit == 1)
    }

    @Test func aRunOfAcceptedStartsRaisesItByOneUpToMaxActive() {
        var limit = AdaptiveLimit(maxActive: 7, increaseAfter: 10, limit: 5)
        #expect(limit.observe(.init(accepted: 9, refused: 0, holding: 5)) == nil)
        #expect(limit.observe(.init(accepted: 1, refused: 0, holding: 5)) == 6)
        #expect(limit.observe(.init(accepted: 25, refused: 0, holding: 6)) == 7)
        #expect(limit.limit == 7)
        #expect(limit.observe(.init(accepted: 100, refused: 0, holding: 7)) == nil)
        #expect(limit.limit == 7)
    }

    @Test func aRefusedProbeGoesBackOneStepEvenWhenFewerJobsAreHeldByThen() {
        var limit = AdaptiveLimit(maxActive: 20, increaseAfter: 10, limit: 5)
        #expect(limit.observe(.init(accepted: 10, refused: 0, holding: 5)) == 6)
        #expect(limit.probing)
        // The probe is refused; two jobs ended before the refusal was read: back to 5, not 3.
        #expect(limit.observe(.init(accepted: 0, refused: 1, holding: 3)) == 5)
        #expect(!limit.probing)
        // A refusal that answers no probe still cuts to what the platform holds.
        #expect(limit.observe(.init(accepted: 0, refused: 1, holding: 3)) == 3)
    }

    @Test func itSettlesAtThePlatformsLimitWithOneRefusalPerProbe() {
        // The platform takes 5; the fleet may have 20. Each probe above 5 costs one refusal.
        var limit = AdaptiveLimit(maxActive: 20, increaseAfter: 10)
        var refusals = 0
        var trace: [Int] = []
        for _ in 0..<200 {
            let refused = limit.limit > 5 ? limit.limit - 5 : 0
            refusals += refused
            _ = limit.observe(.init(accepted: min(limit.limit, 5), refused: refused, holding: min(limit.limit, 5)))
            trace.append(limit.limit)
            #expect((1...20).contains(limit.limit))
        }
        #expect(trace.suffix(100).allSatisfy { $0 == 5 || $0 == 6 })
        // After the first cut, one refusal for every increaseAfter accepted starts at most.
        #expect(refusals - 15 <= 200 * 5 / 10)
    }
}
