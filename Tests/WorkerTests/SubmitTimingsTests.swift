import Testing
import Worker

/// The pause before a redelivered submit's lookup follows the platform's recent submit times.
@Suite struct SubmitTimingsTests {
    @Test func theCeilingUntilASubmitWasTimed() {
        #expect(SubmitTimings().grace(backend: "a", ceiling: .seconds(60)) == .seconds(60))
    }

    @Test func twiceTheSlowestRecentSubmitWithinFloorAndCeiling() {
        let timings = SubmitTimings(window: 3, floor: .milliseconds(500))
        timings.record(.milliseconds(100), backend: "a")
        #expect(timings.grace(backend: "a", ceiling: .seconds(60)) == .milliseconds(500), "the floor")
        timings.record(.seconds(2), backend: "a")
        #expect(timings.grace(backend: "a", ceiling: .seconds(60)) == .seconds(4))
        #expect(timings.grace(backend: "a", ceiling: .seconds(3)) == .seconds(3), "the ceiling")
        #expect(timings.grace(backend: "b", ceiling: .seconds(60)) == .seconds(60), "per backend")
        for _ in 0..<3 { timings.record(.milliseconds(300), backend: "a") }
        #expect(timings.grace(backend: "a", ceiling: .seconds(60)) == .milliseconds(600), "only the last submits count")
    }
}
