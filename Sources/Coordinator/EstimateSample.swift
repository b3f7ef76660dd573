import FleetModel

/// Which tiles of a task an estimate runs first: a systematic sample over the tiles ordered by
/// time window, then size, so that it spreads over every window and over small and large
/// (boundary-clipped) tiles alike. Pure; the same tiles for the same input and seed.
public struct EstimateSample: Sendable, Hashable {
    /// How many tiles to run: a share (`2%`) or a count (`20`).
    public enum Size: Sendable, Hashable {
        case share(Double)
        case count(Int)

        /// Parses `2%`, `0.5%` or `20`; nil for anything else (a share must be within (0, 100],
        /// a count at least 1).
        public init?(parsing text: String) {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if trimmed.hasSuffix("%") {
                guard let percent = Double(trimmed.dropLast()), percent.isFinite, percent > 0, percent <= 100 else { return nil }
                self = .share(percent / 100)
            } else {
                guard let count = Int(trimmed), count >= 1 else { return nil }
                self = .count(count)
            }
        }

        /// The number of tiles out of `population` (at least 1, at most all of them).
        public func tiles(of population: Int) -> Int {
            guard population > 0 else { return 0 }
            switch self {
            case .share(let share): return min(population, max(1, Int((Double(population) * share).rounded())))
            case .count(let count): return min(population, count)
            }
        }
    }

    /// One tile as the sample sees it.
    public struct Candidate: Sendable, Hashable {
        public var window: String?
        public var size: Double

        public init(window: String?, size: Double) {
            self.window = window
            self.size = size
        }
    }

    /// The indices (into `candidates`) of the sample, ascending.
    public let indices: [Int]

    /// Orders the candidates by window, size and position, then takes every `population / n`-th
    /// from an offset drawn from `seed` (the task id's hash keeps it stable across runs).
    public init(_ candidates: [Candidate], size: Size, seed: UInt64) {
        let count = size.tiles(of: candidates.count)
        guard count > 0 else {
            indices = []
            return
        }
        let ordered = candidates.indices.sorted { a, b in
            let (x, y) = (candidates[a], candidates[b])
            if x.window != y.window { return (x.window ?? "") < (y.window ?? "") }
            if x.size != y.size { return x.size < y.size }
            return a < b
        }
        let step = Double(ordered.count) / Double(count)
        var generator = SplitMix64(seed: seed)
        let offset = Double(generator.next() % 1_000_000) / 1_000_000 * step
        var chosen = Set<Int>()
        for k in 0..<count {
            chosen.insert(ordered[min(ordered.count - 1, Int(offset + Double(k) * step))])
        }
        indices = chosen.sorted()
    }
}
