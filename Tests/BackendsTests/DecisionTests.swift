@testable import Backends
import FleetConfig
import Foundation
import Testing

/// Pure decisions: status tables, the retry policy for idempotent calls and submits, backoff, and the
/// token cache.
@Suite struct DecisionTests {
    @Test("openEO and OGC status tables") func statusTables() {
        #expect(["created", "queued", "running", "finished", "error", "canceled"].compactMap(BackendStatus.init(openEO:))
            == [.submitted, .submitted, .running, .finished, .failed, .canceled])
        #expect(["accepted", "running", "successful", "failed", "dismissed"].compactMap(BackendStatus.init(ogc:))
            == [.submitted, .running, .finished, .failed, .canceled])
        #expect(BackendStatus(openEO: "successful") == nil)
        #expect(BackendStatus.canceled.isFinal)
        #expect(!BackendStatus.running.isFinal)
    }

    @Test func retryPolicyForIdempotentRequests() {
        let policy = RequestRetryPolicy(maxAttempts: 3, initialDelay: .seconds(1), maxDelay: .seconds(10), jitter: 0, maxRetryAfter: .seconds(30))
        #expect(policy.decide(attempt: 1, idempotent: true, outcome: .response(status: 503, retryAfter: nil, message: "m"), unit: 0.5) == .retry(after: .seconds(1)))
        #expect(policy.decide(attempt: 2, idempotent: true, outcome: .response(status: 502, retryAfter: nil, message: "m"), unit: 0.5) == .retry(after: .seconds(2)))
        #expect(policy.decide(attempt: 1, idempotent: true, outcome: .response(status: 429, retryAfter: .seconds(7), message: "m"), unit: 0.5) == .retry(after: .seconds(7)))
        #expect(policy.decide(attempt: 3, idempotent: true, outcome: .response(status: 504, retryAfter: nil, message: "gateway"), unit: 0.5)
            == .giveUp(reason: "HTTP 504 after 3 attempts: gateway"))
        #expect(policy.decide(attempt: 1, idempotent: true, outcome: .response(status: 400, retryAfter: nil, message: "bad"), unit: 0.5) == .giveUp(reason: "HTTP 400: bad"))
        #expect(policy.decide(attempt: 1, idempotent: true, outcome: .response(status: 429, retryAfter: .seconds(600), message: "q"), unit: 0.5)
            == .giveUp(reason: "HTTP 429, Retry-After 600.0 seconds exceeds 30.0 seconds: q"))
        #expect(policy.decide(attempt: 1, idempotent: true, outcome: .transport(isTimeout: true, requestWasNotSent: false, message: "t"), unit: 0.5) == .retry(after: .seconds(1)))
    }

    @Test func retryPolicyForSubmits() {
        let policy = RequestRetryPolicy(maxAttempts: 3, initialDelay: .seconds(1), jitter: 0)
        #expect(policy.decide(attempt: 1, idempotent: false, outcome: .transport(isTimeout: false, requestWasNotSent: true, message: "refused"), unit: 0.5) == .retry(after: .seconds(1)))
        #expect(policy.decide(attempt: 1, idempotent: false, outcome: .transport(isTimeout: true, requestWasNotSent: false, message: "t"), unit: 0.5) == .verifyThenRetry(after: .seconds(1)))
        #expect(policy.decide(attempt: 1, idempotent: false, outcome: .response(status: 503, retryAfter: nil, message: "m"), unit: 0.5) == .verifyThenRetry(after: .seconds(1)))
        #expect(policy.decide(attempt: 1, idempotent: false, outcome: .response(status: 429, retryAfter: nil, message: "m"), unit: 0.5) == .retry(after: .seconds(1)))
    }

    @Test func backoffJitterAndCap() {
        let policy = RequestRetryPolicy(initialDelay: .seconds(1), maxDelay: .seconds(4), multiplier: 2, jitter: 0.5)
        #expect(policy.backoff(attempt: 1, unit: 0) == .milliseconds(500))
        #expect(policy.backoff(attempt: 1, unit: 1) == .milliseconds(1500))
        #expect(policy.backoff(attempt: 10, unit: 0.5) == .seconds(4))
    }

    @Test func aShortLivedTokenIsRenewedWithAQuarterOfItsLifetimeLeftNotAtEveryRequest() {
        let now = Date(timeIntervalSince1970: 1_000_000)
        var cache = TokenCache(refreshMargin: 60)
        cache.store(TokenCache.Token(accessToken: Secret("a"), expiresIn: 60, refreshToken: Secret("r"), now: now))
        guard case .use = cache.action(now: now.addingTimeInterval(40)) else {
            Issue.record("a 60 s token is used for its first 45 s")
            return
        }
        guard case .fetch(let refresh) = cache.action(now: now.addingTimeInterval(46)) else {
            Issue.record("a 60 s token is renewed in its last quarter")
            return
        }
        #expect(refresh?.value == "r")
    }

    @Test func tokenCacheRefreshesBeforeExpiryAndKeepsNewerTokens() {
        let now = Date(timeIntervalSince1970: 1_000_000)
        var cache = TokenCache(refreshMargin: 60)
        guard case .fetch(nil) = cache.action(now: now) else {
            Issue.record("an empty cache fetches without a refresh token")
            return
        }
        cache.store(TokenCache.Token(accessToken: Secret("a"), expiresIn: 300, refreshToken: Secret("r"), now: now))
        guard case .use(let token) = cache.action(now: now.addingTimeInterval(200)) else {
            Issue.record("a token outside the refresh margin is used")
            return
        }
        #expect(token.value == "a")
        guard case .fetch(let refresh) = cache.action(now: now.addingTimeInterval(250)) else {
            Issue.record("a token inside the refresh margin is refreshed")
            return
        }
        #expect(refresh?.value == "r")
        cache.store(TokenCache.Token(accessToken: Secret("b"), expiresIn: 300, now: now))
        cache.invalidate(rejected: Secret("a"))
        guard case .use(let kept) = cache.action(now: now) else {
            Issue.record("a stale 401 must not drop a newer token")
            return
        }
        #expect(kept.value == "b")
        cache.invalidate(rejected: Secret("b"))
        guard case .fetch(let kept2) = cache.action(now: now) else {
            Issue.record("a rejected token is fetched anew")
            return
        }
        #expect(kept2?.value == "r", "the refresh token survives")
    }
}
