/// A task's spending cap (`budget:` in its spec, `tilefleet budget`) against what it has spent and
/// is expected to spend: the coordinator starts no new tile once the credits spent plus the
/// expected cost of the tiles in flight (the new one included) would pass the budget. Pure, so
/// the dispatcher and `status` judge it the same way.
///
/// The expected cost of a tile is the mean cost of the task's attempts that ended with a cost.
/// Until one has, nothing is known: one tile at a time runs (a probe). When attempts finished and
/// none reported a cost, the platform reports none and the budget cannot bind.
public struct TaskBudget: Sendable, Hashable {
    /// The cap, in the platform's credits (> 0).
    public var budget: Double
    /// Credits of the task's attempts that ended (their final readings).
    public var spent: Double
    /// Attempts that ended with a cost reported.
    public var costedAttempts: Int
    /// Attempts that finished (successfully), with or without a cost.
    public var finishedAttempts: Int
    /// Tiles dispatched and not yet terminal.
    public var inFlight: Int

    public init(budget: Double, spent: Double, costedAttempts: Int, finishedAttempts: Int, inFlight: Int) {
        self.budget = budget
        self.spent = spent
        self.costedAttempts = costedAttempts
        self.finishedAttempts = finishedAttempts
        self.inFlight = inFlight
    }

    /// Where the task stands against its budget.
    public enum State: Sendable, Hashable {
        /// New tiles may start.
        case open
        /// No cost is known yet: one tile runs at a time until one is.
        case probing
        /// Starting another tile would pass the budget: dispatch waits for a larger one.
        case paused
    }

    /// The expected cost of one more tile: nil while unknown, 0 when the platform reports no costs.
    public var expectedPerTile: Double? {
        if costedAttempts > 0 { return spent / Double(costedAttempts) }
        return finishedAttempts > 0 ? 0 : nil
    }

    /// Credits spent plus the expected cost of the tiles in flight.
    public var committed: Double {
        spent + Double(inFlight) * (expectedPerTile ?? 0)
    }

    /// How many of `pending` tiles may start now.
    public func tilesAllowed(pending: Int) -> Int {
        guard pending > 0, spent < budget else { return 0 }
        guard let expected = expectedPerTile else { return inFlight == 0 ? 1 : 0 }
        guard expected > 0 else { return pending }
        // Tiles n with spent + (inFlight + n) × expected ≤ budget; a hair of slack for rounding.
        let fit = ((budget - spent) / expected + 1e-9).rounded(.down) - Double(inFlight)
        return fit <= 0 ? 0 : Int(min(fit, Double(pending)))
    }

    /// The state for a task with `pending` tiles waiting.
    public func state(pending: Int) -> State {
        if pending == 0 || tilesAllowed(pending: pending) > 0 { return .open }
        return expectedPerTile == nil && spent < budget ? .probing : .paused
    }
}
