/// Decides how many pending tiles of each task to release into a backend's free slots: strictly by
/// priority (higher first), and within one priority fairly — each slot goes to the task with the
/// fewest tiles in flight so far (ties: the task with the earlier id), so tasks sharing a backend
/// take turns instead of the first one starving the rest. Pure: no I/O, unit-tested alone.
public struct DispatchPlanner: Sendable {
    /// What the planner knows about one task on the backend.
    public struct TaskLoad: Sendable, Hashable {
        public var task: String
        public var priority: Int
        /// Tiles waiting to be dispatched.
        public var pending: Int
        /// Tiles dispatched and not yet terminal.
        public var active: Int

        public init(task: String, priority: Int = 0, pending: Int, active: Int = 0) {
            self.task = task
            self.priority = priority
            self.pending = pending
            self.active = active
        }
    }

    public init() {}

    /// Tiles to claim per task (tasks receiving none are left out); the total never exceeds
    /// `freeSlots` nor any task's pending count.
    public func plan(freeSlots: Int, tasks: [TaskLoad]) -> [String: Int] {
        guard freeSlots > 0 else { return [:] }
        var remaining = freeSlots
        var claims: [String: Int] = [:]
        let tiers = Dictionary(grouping: tasks.filter { $0.pending > 0 }, by: \.priority).sorted { $0.key > $1.key }
        for (_, tier) in tiers where remaining > 0 {
            var loads = tier.sorted { $0.task < $1.task }
            while remaining > 0 {
                var best: Int?
                for index in loads.indices where loads[index].pending > 0 {
                    if best == nil || loads[index].active < loads[best!].active { best = index }
                }
                guard let chosen = best else { break }
                loads[chosen].pending -= 1
                loads[chosen].active += 1
                claims[loads[chosen].task, default: 0] += 1
                remaining -= 1
            }
        }
        return claims
    }
}
