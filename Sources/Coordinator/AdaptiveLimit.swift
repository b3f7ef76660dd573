/// A backend's effective concurrency, following what the platform accepts: additive increase,
/// multiplicative decrease (AIMD), with the decrease aimed at the platform's own limit. A start
/// refused with "try later" (openEO `ConcurrentJobLimit`, HTTP 429) while the platform holds H
/// jobs says its limit is H: the effective limit drops to H — so the tiles still queued from
/// before the cut, refused again while they wait, do not push it further down; when H is not
/// known (the platform holds none of the fleet's jobs) it is cut by `decreaseFactor`. A run of
/// `increaseAfter` accepted starts raises it by one, which probes whether the platform now takes
/// more; a refusal of that probe (the first refusal since the raise) puts it back one step, to the
/// level the platform took — not to the jobs held when the refusal is read, which jobs that ended
/// meanwhile make too low. It never goes above `max_active` nor below 1, and a burst of refusals in
/// one observation is one cut.
/// Pure: no I/O, unit-tested alone.
public struct AdaptiveLimit: Sendable, Hashable {
    public let maxActive: Int
    /// Accepted starts in a row that raise the limit by one.
    public let increaseAfter: Int
    /// What the limit is cut to on a refusal: this fraction of the jobs the platform was holding.
    public let decreaseFactor: Double
    public private(set) var limit: Int
    /// Accepted starts since the last change.
    public private(set) var acceptedInARow: Int = 0
    /// The limit was raised since the last refusal: the next refusal answers that probe.
    public private(set) var probing = false

    public init(maxActive: Int, increaseAfter: Int = 20, decreaseFactor: Double = 0.5, limit: Int? = nil) {
        self.maxActive = max(maxActive, 1)
        self.increaseAfter = max(increaseAfter, 1)
        self.decreaseFactor = min(max(decreaseFactor, 0.1), 1)
        self.limit = min(max(limit ?? maxActive, 1), max(maxActive, 1))
    }

    /// What the fleet saw of the backend since the last observation.
    public struct Observation: Sendable, Hashable {
        /// Starts the platform accepted.
        public var accepted: Int
        /// Starts it refused with "try later" (concurrency limit, 429).
        public var refused: Int
        /// Jobs the platform held (submitted or running) when it refused; 0 when not known.
        public var holding: Int

        public init(accepted: Int, refused: Int, holding: Int) {
            self.accepted = accepted
            self.refused = refused
            self.holding = holding
        }
    }

    /// Takes in an observation; returns the new limit when it changed.
    public mutating func observe(_ observation: Observation) -> Int? {
        let before = limit
        if observation.refused > 0 {
            let target = probing ? limit - 1
                : observation.holding > 0 ? observation.holding : Int((Double(limit) * decreaseFactor).rounded(.down))
            limit = max(1, min(limit, target))
            acceptedInARow = 0
            probing = false
        } else if observation.accepted > 0 {
            acceptedInARow += observation.accepted
            while acceptedInARow >= increaseAfter && limit < maxActive {
                acceptedInARow -= increaseAfter
                limit += 1
                probing = true
            }
            if limit == maxActive { acceptedInARow = 0 }
        }
        return limit == before ? nil : limit
    }
}
