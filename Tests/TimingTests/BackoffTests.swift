import Testing
import Timing

/// The one backoff: growth, cap, and each kind of jitter.
@Suite struct BackoffTests {
    @Test func growsFromTheInitialDelayAndStopsAtTheMaximum() {
        let backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(2))
        #expect((1...7).map { backoff.delay(attempt: $0) } == [
            .milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .milliseconds(1600), .seconds(2), .seconds(2),
        ])
        #expect(backoff.delay(attempt: 0) == .milliseconds(100), "attempts before the first count as the first")
        #expect(backoff.delay(attempt: 10_000) == .seconds(2), "no overflow however many attempts")
    }

    @Test func addedJitterNeverPassesTheMaximum() {
        let backoff = Backoff(initial: .seconds(1), maximum: .seconds(10), jitter: .upTo(0.5))
        #expect(backoff.seconds(attempt: 1, random: 0) == 1)
        #expect(backoff.seconds(attempt: 1, random: 0.5) == 1.25)
        #expect(backoff.seconds(attempt: 4, random: 0.99) == 10)
    }

    @Test func spreadJitterGoesBothWays() {
        let backoff = Backoff(initial: .seconds(1), maximum: .seconds(30), jitter: .plusMinus(0.2))
        #expect(backoff.delay(attempt: 1, random: 0) == .milliseconds(800))
        #expect(backoff.delay(attempt: 1, random: 0.5) == .seconds(1))
        #expect(backoff.delay(attempt: 2, random: 1) == .milliseconds(2400))
    }

    @Test func durationsInSeconds() {
        #expect(Duration.milliseconds(1500).inSeconds == 1.5)
        #expect(Duration.seconds(172_800).inSeconds == 172_800)
    }
}
