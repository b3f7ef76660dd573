import FleetModel
import Foundation
import Testing

/// Costs and usage travel in status events within their bounds; a task's budget lets tiles start
/// only while the credits spent plus those expected of the tiles in flight stay within it.
@Suite struct CostsAndBudgetTests {
    static let time = Date(timeIntervalSince1970: 1_780_000_000)

    static func event(costs: Double? = nil, usage: [String: UsageQuantity]? = nil) -> StatusEvent {
        var event = StatusEvent(task: "t", tile: "a", attempt: 1, status: .finished, time: time)
        event.costs = costs
        event.usage = usage
        return event
    }

    static func reason(_ event: StatusEvent) -> String? {
        do {
            _ = try StatusEvent.decode(event.encoded())
            return nil
        } catch {
            return error.reason
        }
    }

    @Test func costsAndUsageRoundTripUnderTheirOpenEONames() throws {
        let event = Self.event(costs: 12.5, usage: ["cpu": UsageQuantity(value: 40, unit: "cpu-seconds"), "duration": UsageQuantity(value: 20)])
        let body = event.encoded()
        let text = String(decoding: body, as: UTF8.self)
        #expect(text.contains("\"costs\":12.5"))
        #expect(text.contains("\"usage\":{\"cpu\":{\"unit\":\"cpu-seconds\",\"value\":40}"))
        #expect(try StatusEvent.decode(body) == event)
    }

    @Test func negativeCostsAndOversizeUsageAreRefusedByName() {
        #expect(Self.reason(Self.event(costs: -1)) == "field 'costs' must be a finite number ≥ 0, got -1.0")
        let many = Dictionary(uniqueKeysWithValues: (0...MessageLimits.usageEntries).map { ("m\($0)", UsageQuantity(value: 1)) })
        #expect(Self.reason(Self.event(usage: many))
                == "field 'usage' has \(MessageLimits.usageEntries + 1) entries, more than the limit of \(MessageLimits.usageEntries)")
        let longName = String(repeating: "n", count: MessageLimits.usageName + 1)
        #expect(Self.reason(Self.event(usage: [longName: UsageQuantity(value: 1)]))?.hasPrefix("field 'usage key' is 65 bytes") == true)
        #expect(Self.reason(Self.event(usage: ["cpu": UsageQuantity(value: 1, unit: String(repeating: "u", count: 65))]))?
                    .hasPrefix("field 'usage.cpu.unit' is 65 bytes") == true)
        #expect(Self.reason(Self.event(usage: ["": UsageQuantity(value: 1)])) == "field 'usage' has an entry with an empty name")
        #expect(Self.reason(Self.event(costs: 0, usage: ["cpu": UsageQuantity(value: -3, unit: "s")])) == nil)
    }

    @Test func aBudgetLetsTilesStartWhileSpentPlusExpectedInFlightStaysWithin() {
        // 10 credits a tile so far, 60 spent, 2 in flight (20 expected): 20 of 100 left → 2 more.
        let budget = TaskBudget(budget: 100, spent: 60, costedAttempts: 6, finishedAttempts: 6, inFlight: 2)
        #expect(budget.expectedPerTile == 10)
        #expect(budget.committed == 80)
        #expect(budget.tilesAllowed(pending: 50) == 2)
        #expect(budget.tilesAllowed(pending: 1) == 1)
        #expect(budget.state(pending: 50) == .open)
        // With 4 in flight the budget is taken: the task pauses.
        let full = TaskBudget(budget: 100, spent: 60, costedAttempts: 6, finishedAttempts: 6, inFlight: 4)
        #expect(full.tilesAllowed(pending: 50) == 0)
        #expect(full.state(pending: 50) == .paused)
        #expect(full.state(pending: 0) == .open)
        // Raising it resumes dispatch.
        var raised = full
        raised.budget = 200
        #expect(raised.tilesAllowed(pending: 50) == 10)
    }

    @Test func anUnknownCostProbesOneTileAndAPlatformWithoutCostsCannotBind() {
        let fresh = TaskBudget(budget: 100, spent: 0, costedAttempts: 0, finishedAttempts: 0, inFlight: 0)
        #expect(fresh.expectedPerTile == nil)
        #expect(fresh.tilesAllowed(pending: 30) == 1)
        let probing = TaskBudget(budget: 100, spent: 0, costedAttempts: 0, finishedAttempts: 0, inFlight: 1)
        #expect(probing.tilesAllowed(pending: 30) == 0)
        #expect(probing.state(pending: 30) == .probing)
        let uncosted = TaskBudget(budget: 100, spent: 0, costedAttempts: 0, finishedAttempts: 3, inFlight: 5)
        #expect(uncosted.expectedPerTile == 0)
        #expect(uncosted.tilesAllowed(pending: 30) == 30)
        let spent = TaskBudget(budget: 100, spent: 100, costedAttempts: 4, finishedAttempts: 4, inFlight: 0)
        #expect(spent.tilesAllowed(pending: 30) == 0)
        #expect(spent.state(pending: 30) == .paused)
    }
}
