/// Decides, before the per-backend dispatch passes, how many pending tiles of each task each of
/// its backends is offered, so a task over several backends (``TaskSpec/backends``) fills the free
/// slots of all of them: by priority (higher first), within a priority one tile per task in turn;
/// each tile to the task's backend with a free slot that comes first in its order of preference,
/// or — when the task gives weights — the one furthest below its weighted share (ties: the earlier
/// in the list). A backend that is not healthy, or has no free slot, is offered nothing.
///
/// The offers come from a snapshot read without locks: the passes still count every backend's
/// tiles in flight under its lock, so `max_active` stays exact whatever the snapshot missed. Pure:
/// no I/O, unit-tested alone.
public struct BackendSlotAssigner: Sendable {
    /// One backend of a task, with its weight (nil: the task goes by preference).
    public struct Option: Sendable, Hashable {
        public var name: String
        public var weight: Int?

        public init(_ name: String, weight: Int? = nil) {
            self.name = name
            self.weight = weight
        }
    }

    /// One task as the snapshot saw it.
    public struct TaskDemand: Sendable, Hashable {
        public var task: String
        public var priority: Int
        /// Tiles waiting to be dispatched (already cut to what its budget allows).
        public var pending: Int
        /// Its backends in order of preference, with their weights (nil: by preference).
        public var backends: [Option]
        /// Its tiles in flight per backend.
        public var active: [String: Int]

        public init(task: String, priority: Int = 0, pending: Int, backends: [Option], active: [String: Int] = [:]) {
            self.task = task
            self.priority = priority
            self.pending = pending
            self.backends = backends
            self.active = active
        }
    }

    public init() {}

    /// Tiles offered per backend, per task (backends and tasks offered none are left out). Per
    /// backend the offers never exceed `freeSlots[backend]`; per task they never exceed its pending.
    /// A backend missing from `freeSlots`, or in `unavailable`, has no free slot.
    public func assign(freeSlots: [String: Int], unavailable: Set<String> = [], tasks: [TaskDemand]) -> [String: [String: Int]] {
        var free = freeSlots.filter { !unavailable.contains($0.key) }.mapValues { max($0, 0) }
        var offers: [String: [String: Int]] = [:]
        let tiers = Dictionary(grouping: tasks.filter { $0.pending > 0 }, by: \.priority).sorted { $0.key > $1.key }
        for (_, tier) in tiers {
            var demands = tier.sorted { $0.task < $1.task }
            var progressed = true
            while progressed {
                progressed = false
                for index in demands.indices where demands[index].pending > 0 {
                    guard let backend = Self.choose(demands[index], offered: offers, free: free) else { continue }
                    demands[index].pending -= 1
                    free[backend, default: 0] -= 1
                    offers[backend, default: [:]][demands[index].task, default: 0] += 1
                    progressed = true
                }
            }
        }
        return offers
    }

    /// The backend that takes the task's next tile, if any has a free slot.
    static func choose(_ demand: TaskDemand, offered: [String: [String: Int]], free: [String: Int]) -> String? {
        let open = demand.backends.filter { free[$0.name, default: 0] > 0 }
        guard !open.isEmpty else { return nil }
        guard open.allSatisfy({ $0.weight != nil }) else { return open[0].name }
        var best: (name: String, load: Double)?
        for backend in open {
            let held = demand.active[backend.name, default: 0] + (offered[backend.name]?[demand.task] ?? 0)
            let load = Double(held) / Double(max(backend.weight ?? 1, 1))
            if best == nil || load < best!.load { best = (backend.name, load) }
        }
        return best?.name
    }
}
