/// How long the recent jobs of one task on one backend took: what ``PollSchedule`` polls around.
///
/// Each finished job gives two times after its submit: the last look that saw it still running
/// (a lower bound of its end; 0 when none did) and the look that found it ended (an upper bound).
/// Keeps the last ``window`` jobs. Once ``minimumSamples`` are known, ``expectedEnd`` spans the
/// low to the high quantile of the upper bounds and ``stillRunning`` is the high quantile of the
/// lower bounds: while the two are far apart the schedule looks between them, so the bounds close
/// in on the end like a bisection, a wave of jobs at a time.
public struct JobDurations: Sendable, Equatable {
    /// One finished job: seconds after its submit.
    public struct Sample: Sendable, Equatable {
        /// The last look that saw it not yet ended (0: none did).
        public var running: Double
        /// The look that found it ended.
        public var ended: Double

        public init(running: Double, ended: Double) {
            self.running = running
            self.ended = ended
        }
    }

    /// Jobs remembered, oldest first.
    public private(set) var samples: [Sample] = []
    public let window: Int
    public let minimumSamples: Int
    /// The quantiles (0…1) used; nearest rank.
    public let lowQuantile: Double
    public let highQuantile: Double

    public init(window: Int = 32, minimumSamples: Int = 3, lowQuantile: Double = 0.1, highQuantile: Double = 0.9) {
        self.window = max(1, window)
        self.minimumSamples = max(1, minimumSamples)
        self.lowQuantile = min(max(lowQuantile, 0), 1)
        self.highQuantile = min(max(highQuantile, lowQuantile), 1)
    }

    /// Records one finished job: found ended `ended` seconds after its submit, last seen running
    /// `running` seconds after it (nil or out of range: not seen running). An `ended` that is not
    /// a positive finite number is ignored.
    public mutating func record(ended: Double, running: Double? = nil) {
        guard ended.isFinite, ended > 0 else { return }
        let lower = running.flatMap { $0.isFinite && $0 >= 0 && $0 <= ended ? $0 : nil } ?? 0
        samples.append(Sample(running: lower, ended: ended))
        if samples.count > window { samples.removeFirst(samples.count - window) }
    }

    /// Seconds after the submit within which recent jobs were found ended (low to high quantile);
    /// nil until ``minimumSamples`` are known.
    public var expectedEnd: ClosedRange<Double>? {
        guard samples.count >= minimumSamples else { return nil }
        let ended = samples.map(\.ended).sorted()
        return Self.quantile(ended, lowQuantile)...Self.quantile(ended, highQuantile)
    }

    /// Seconds after the submit by which most recent jobs were seen still running (the high
    /// quantile of the lower bounds, at most the low end of ``expectedEnd``); nil with it.
    public var stillRunning: Double? {
        guard let end = expectedEnd else { return nil }
        return min(Self.quantile(samples.map(\.running).sorted(), highQuantile), end.lowerBound)
    }

    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * q).rounded()))]
    }
}
