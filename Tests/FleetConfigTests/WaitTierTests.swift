import FleetConfig
import Testing

/// Wait tiers follow the polls: a poll interval shorter than the shortest tier is served by a
/// derived tier, or — when the file sets the tiers — refused naming both values; never stretched.
struct WaitTierTests {
    static func parse(_ yaml: String) throws(ConfigurationError) -> FleetConfiguration {
        try FleetConfiguration.parse(yaml: yaml, file: "fleet.yaml", environment: [:], gridCheck: { _ in nil })
    }

    @Test func tiersTheFileDoesNotSetServeEveryPoll() throws {
        let configuration = try Self.parse("""
            backends:
              - {name: fast, kind: openeo, url: "http://x/openeo", poll: {min_interval: 1s, max_interval: 10s}}
              - {name: half, kind: openeo, url: "http://y/openeo", poll: {min_interval: 2500ms, max_interval: 10s}}
              - {name: slow, kind: ogc, url: "http://z", poll: {min_interval: 30s, max_interval: 5m}}
            """)
        #expect(configuration.topology.waitTiers == [1, 3, 5, 15, 60, 300])
    }

    @Test func withoutShortPollsTheDefaultTiersStand() throws {
        let configuration = try Self.parse("backends:\n  - {name: a, kind: openeo, url: 'http://x/openeo'}\n")
        #expect(configuration.topology.waitTiers == [5, 15, 60, 300])
    }

    @Test func tiersTheFileSetsThatCannotServeAPollAreAProblemNamingBothValues() {
        do {
            _ = try Self.parse("""
                topology: {wait_tiers: [5, 15, 60]}
                backends:
                  - {name: fast, kind: openeo, url: "http://x/openeo", poll: {min_interval: 1s, max_interval: 10s}}
                """)
            Issue.record("accepted a poll interval no tier serves")
        } catch {
            #expect(error.description == "fleet.yaml: backends[0].poll.min_interval: 1s is shorter than the shortest wait tier, 5s (topology.wait_tiers): polls of fast would wait 5s; add 1 to topology.wait_tiers or raise min_interval to 5s (line 3)")
        }
    }

    @Test func aTierForEachWholeSecondRoundedUp() {
        #expect(FleetConfiguration.tier(serving: .milliseconds(200)) == 1)
        #expect(FleetConfiguration.tier(serving: .seconds(2)) == 2)
        #expect(FleetConfiguration.tier(serving: .milliseconds(2001)) == 3)
    }
}
