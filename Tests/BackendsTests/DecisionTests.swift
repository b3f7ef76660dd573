@testable import Backends
import Foundation
import XCTest

final class DecisionTests: XCTestCase {
    func testStatusTables() {
        XCTAssertEqual(["created", "queued", "running", "finished", "error", "canceled"].compactMap(BackendStatus.init(openEO:)),
            [.submitted, .submitted, .running, .finished, .failed, .canceled])
        XCTAssertEqual(["accepted", "running", "successful", "failed", "dismissed"].compactMap(BackendStatus.init(ogc:)),
            [.submitted, .running, .finished, .failed, .canceled])
        XCTAssertNil(BackendStatus(openEO: "successful"))
        XCTAssertTrue(BackendStatus.canceled.isFinal)
        XCTAssertFalse(BackendStatus.running.isFinal)
    }

    func testRetryPolicyForIdempotentRequests() {
        let policy = RetryPolicy(maxAttempts: 3, initialDelay: .seconds(1), maxDelay: .seconds(10), jitter: 0, maxRetryAfter: .seconds(30))
        XCTAssertEqual(policy.decide(attempt: 1, idempotent: true, outcome: .response(status: 503, retryAfter: nil, message: "m"), unit: 0.5), .retry(after: .seconds(1)))
        XCTAssertEqual(policy.decide(attempt: 2, idempotent: true, outcome: .response(status: 502, retryAfter: nil, message: "m"), unit: 0.5), .retry(after: .seconds(2)))
        XCTAssertEqual(policy.decide(attempt: 1, idempotent: true, outcome: .response(status: 429, retryAfter: .seconds(7), message: "m"), unit: 0.5), .retry(after: .seconds(7)))
        XCTAssertEqual(policy.decide(attempt: 3, idempotent: true, outcome: .response(status: 504, retryAfter: nil, message: "gateway"), unit: 0.5),
            .giveUp(reason: "HTTP 504 after 3 attempts: gateway"))
        XCTAssertEqual(policy.decide(attempt: 1, idempotent: true, outcome: .response(status: 400, retryAfter: nil, message: "bad"), unit: 0.5), .giveUp(reason: "HTTP 400: bad"))
        XCTAssertEqual(policy.decide(attempt: 1, idempotent: true, outcome: .response(status: 429, retryAfter: .seconds(600), message: "q"), unit: 0.5),
            .giveUp(reason: "HTTP 429, Retry-After 600.0 seconds exceeds 30.0 seconds: q"))
        XCTAssertEqual(policy.decide(attempt: 1, idempotent: true, outcome: .transport(isTimeout: true, requestWasNotSent: false, message: "t"), unit: 0.5), .retry(after: .seconds(1)))
    }

    func testRetryPolicyForSubmits() {
        let policy = RetryPolicy(maxAttempts: 3, initialDelay: .seconds(1), jitter: 0)
        XCTAssertEqual(policy.decide(attempt: 1, idempotent: false, outcome: .transport(isTimeout: false, requestWasNotSent: true, message: "refused"), unit: 0.5), .retry(after: .seconds(1)))
        XCTAssertEqual(policy.decide(attempt: 1, idempotent: false, outcome: .transport(isTimeout: true, requestWasNotSent: false, message: "t"), unit: 0.5), .verifyThenRetry(after: .seconds(1)))
        XCTAssertEqual(policy.decide(attempt: 1, idempotent: false, outcome: .response(status: 503, retryAfter: nil, message: "m"), unit: 0.5), .verifyThenRetry(after: .seconds(1)))
        XCTAssertEqual(policy.decide(attempt: 1, idempotent: false, outcome: .response(status: 429, retryAfter: nil, message: "m"), unit: 0.5), .retry(after: .seconds(1)))
    }

    func testBackoffJitterAndCap() {
        let policy = RetryPolicy(initialDelay: .seconds(1), maxDelay: .seconds(4), multiplier: 2, jitter: 0.5)
        XCTAssertEqual(policy.backoff(attempt: 1, unit: 0), .milliseconds(500))
        XCTAssertEqual(policy.backoff(attempt: 1, unit: 1), .milliseconds(1500))
        XCTAssertEqual(policy.backoff(attempt: 10, unit: 0.5), .seconds(4))
    }

    func testTokenCacheRefreshesBeforeExpiryAndKeepsNewerTokens() {
        let now = Date(timeIntervalSince1970: 1_000_000)
        var cache = TokenCache(refreshMargin: 60)
        guard case .fetch(nil) = cache.action(now: now) else { return XCTFail() }
        cache.store(TokenCache.Token(accessToken: Secret("a"), expiresIn: 300, refreshToken: Secret("r"), now: now))
        guard case .use(let token) = cache.action(now: now.addingTimeInterval(200)) else { return XCTFail() }
        XCTAssertEqual(token.value, "a")
        guard case .fetch(let refresh) = cache.action(now: now.addingTimeInterval(250)) else { return XCTFail() }
        XCTAssertEqual(refresh?.value, "r")
        cache.store(TokenCache.Token(accessToken: Secret("b"), expiresIn: 300, now: now))
        cache.invalidate(rejected: Secret("a"))
        guard case .use(let kept) = cache.action(now: now) else { return XCTFail("a stale 401 must not drop a newer token") }
        XCTAssertEqual(kept.value, "b")
        cache.invalidate(rejected: Secret("b"))
        guard case .fetch(let kept2) = cache.action(now: now) else { return XCTFail() }
        XCTAssertEqual(kept2?.value, "r", "the refresh token survives")
    }
}
