import Foundation

/// A small fast seedable generator (SplitMix64), so that seeded runs repeat exactly: the
/// simulator's durations and costs, estimate samples and their intervals.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        self.state = seed
    }

    public mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<1.
    public mutating func nextUnit() -> Double {
        Double(self.next() >> 11) / Double(1 << 53)
    }

    /// A standard normal draw (Box–Muller).
    public mutating func nextNormal() -> Double {
        let u1 = max(self.nextUnit(), 1e-12)
        let u2 = self.nextUnit()
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }
}
