extension Duration {
    /// The duration in seconds as a floating-point number: the one conversion the fleet uses for
    /// rates, backoff arithmetic, sleeps on C threads and human output.
    public var inSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

extension Duration {
    /// The duration in whole nanoseconds (truncated), as metrics timers take it.
    public var inNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
