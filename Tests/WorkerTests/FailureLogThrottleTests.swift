import Foundation
import Testing
import Timing
import Worker

struct FailureLogThrottleTests {
    static let start = Date(timeIntervalSince1970: 1_780_000_000)
    static func at(_ seconds: Double) -> Date { start.addingTimeInterval(seconds) }

    @Test func theFirstFailureIsLoggedAtOnceThenOncePerGrowingIntervalWithTheCountHeldBack() {
        var throttle = FailureLogThrottle(backoff: Backoff(initial: .seconds(10), maximum: .seconds(100)))
        #expect(throttle.failure(backend: "a", now: Self.at(0)) == 0)
        // A failure every 2 s: held back until 10 s have passed, then 20 s, then 40 s.
        var logged: [(Double, Int)] = []
        for second in stride(from: 2.0, through: 80, by: 2) {
            if let held = throttle.failure(backend: "a", now: Self.at(second)) { logged.append((second, held)) }
        }
        #expect(logged.map(\.0) == [10, 30, 70])
        #expect(logged.map(\.1) == [4, 9, 19])
    }

    @Test func backendsAreThrottledApart() {
        var throttle = FailureLogThrottle(backoff: Backoff(initial: .seconds(10), maximum: .seconds(100)))
        #expect(throttle.failure(backend: "a", now: Self.at(0)) == 0)
        #expect(throttle.failure(backend: "a", now: Self.at(1)) == nil)
        #expect(throttle.failure(backend: "b", now: Self.at(1)) == 0, "another backend's first failure is news")
    }

    @Test func theIntervalStopsGrowingAtTheMaximum() {
        var throttle = FailureLogThrottle(backoff: Backoff(initial: .seconds(10), maximum: .seconds(20)))
        var logged: [Double] = []
        for second in stride(from: 0.0, through: 100, by: 5) {
            if throttle.failure(backend: "a", now: Self.at(second)) != nil { logged.append(second) }
        }
        #expect(logged == [0, 10, 30, 50, 70, 90])
    }

    @Test func aQuietSpellAsLongAsTheMaximumStartsOverAndKeepsTheCountHeldBack() {
        var throttle = FailureLogThrottle(backoff: Backoff(initial: .seconds(10), maximum: .seconds(60)))
        #expect(throttle.failure(backend: "a", now: Self.at(0)) == 0)
        #expect(throttle.failure(backend: "a", now: Self.at(5)) == nil)
        #expect(throttle.failure(backend: "a", now: Self.at(70)) == 1, "after 65 s without failures: logged at once")
        #expect(throttle.failure(backend: "a", now: Self.at(75)) == nil, "and the interval is the first one again")
        #expect(throttle.failure(backend: "a", now: Self.at(80)) == 1)
    }
}
