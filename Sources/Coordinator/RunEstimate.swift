import FleetModel

/// What a whole task will cost and how long it will run, projected from its finished sample
/// tiles. Pure: `tilefleet estimate` feeds it the stored figures.
///
/// Each total is a regression estimate: `y = a + b·size` fitted to the sample by least squares
/// (size: a tile's area times its window's days), summed over every tile of the task as
/// `N·a + b·Σsize`. It is the ratio estimate when the figure grows with the size (credits
/// charged per km²) and the mean when it does not (jobs that take as long whatever their area),
/// and it is never below zero. The interval is a bootstrap: the sample resampled with
/// replacement, each time projected again; the 5th and 95th percentiles bound 90 % of them.
///
/// The wall time is the backend's slots filled one tile after the other: the projected sum of
/// turnarounds (dispatch to end, so the platform's queue and the fleet's own delays count)
/// divided by `max_active`, plus half a mean turnaround for the last, ragged wave. With fewer
/// tiles than slots it is the longest turnaround seen.
public struct RunEstimate: Sendable {
    /// One finished sample tile.
    public struct Observation: Sendable, Hashable {
        public var size: Double
        public var credits: Double?
        public var turnaroundSeconds: Double?

        public init(size: Double, credits: Double?, turnaroundSeconds: Double?) {
            self.size = size
            self.credits = credits
            self.turnaroundSeconds = turnaroundSeconds
        }
    }

    /// A projected figure with its 90 % interval.
    public struct Projection: Sendable, Hashable {
        public var value: Double
        public var low: Double
        public var high: Double
    }

    /// Credits of the whole task (nil when no sample tile reported a cost).
    public let credits: Projection?
    /// Credits per unit of size (per km² when the task has no windows, per km²·day with them).
    public let creditsPerSize: Double?
    /// Wall time of the whole task at `slots` jobs at once (nil without a turnaround).
    public let wallSeconds: Projection?
    /// The finished sample tiles the projection rests on.
    public let observations: Int

    /// Projects from `sample` onto a task of `tiles` tiles of total size `totalSize`, run
    /// `slots` at a time; `resamples` bootstrap rounds drawn from `seed`.
    public init(sample: [Observation], tiles: Int, totalSize: Double, slots: Int, resamples: Int = 1000, seed: UInt64 = 1) {
        observations = sample.count
        let slots = max(1, min(slots, max(tiles, 1)))
        let costed = sample.compactMap { o in o.credits.map { (o.size, $0) } }
        let timed = sample.compactMap { o in o.turnaroundSeconds.map { (o.size, $0) } }
        let creditsOf = { (points: [(Double, Double)]) in Self.total(points, tiles: tiles, totalSize: totalSize) }
        let wallOf = { (points: [(Double, Double)]) -> Double in
            guard !points.isEmpty else { return 0 }
            if tiles <= slots { return points.map(\.1).max() ?? 0 }
            let sum = Self.total(points, tiles: tiles, totalSize: totalSize)
            return sum / Double(slots) + sum / Double(tiles) / 2
        }
        credits = costed.isEmpty ? nil : Self.projection(costed, resamples: resamples, seed: seed, creditsOf)
        wallSeconds = timed.isEmpty ? nil : Self.projection(timed, resamples: resamples, seed: seed &+ 1, wallOf)
        let sampledSize = costed.reduce(0) { $0 + $1.0 }
        creditsPerSize = costed.isEmpty || sampledSize <= 0 ? nil : costed.reduce(0) { $0 + $1.1 } / sampledSize
    }

    /// `N·a + b·Σsize` from the least-squares line through `points` (size, figure); the mean
    /// times `N` when the sizes do not vary (or there are fewer than three points).
    static func total(_ points: [(Double, Double)], tiles: Int, totalSize: Double) -> Double {
        let n = Double(points.count)
        let meanX = points.reduce(0) { $0 + $1.0 } / n
        let meanY = points.reduce(0) { $0 + $1.1 } / n
        let sxx = points.reduce(0) { $0 + ($1.0 - meanX) * ($1.0 - meanX) }
        guard points.count >= 3, sxx > 1e-9 * max(1, meanX * meanX) * n else { return max(0, meanY * Double(tiles)) }
        let slope = points.reduce(0) { $0 + ($1.0 - meanX) * ($1.1 - meanY) } / sxx
        let intercept = meanY - slope * meanX
        return max(0, intercept * Double(tiles) + slope * totalSize)
    }

    /// `estimate` of `points`, with the 5th and 95th percentiles of `resamples` bootstrap rounds.
    static func projection(_ points: [(Double, Double)], resamples: Int, seed: UInt64,
                           _ estimate: ([(Double, Double)]) -> Double) -> Projection {
        let value = estimate(points)
        guard points.count > 1, resamples > 0 else { return Projection(value: value, low: value, high: value) }
        var generator = SplitMix64(seed: seed)
        var rounds: [Double] = []
        rounds.reserveCapacity(resamples)
        for _ in 0..<resamples {
            let drawn = (0..<points.count).map { _ in points[Int(generator.next() % UInt64(points.count))] }
            rounds.append(estimate(drawn))
        }
        rounds.sort()
        let at = { (q: Double) in rounds[min(rounds.count - 1, max(0, Int((q * Double(rounds.count - 1)).rounded())))] }
        return Projection(value: value, low: min(value, at(0.05)), high: max(value, at(0.95)))
    }
}
