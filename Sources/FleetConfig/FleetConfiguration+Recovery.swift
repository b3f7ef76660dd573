extension FleetConfiguration {
    /// Per configured backend, how long a tile in flight must be silent before the coordinator
    /// republishes it (``RecoveryConfiguration/silence(before:)``).
    public var recoverySilence: [String: Duration] {
        Dictionary(uniqueKeysWithValues: backends.backends.map { ($0.name, recovery.silence(before: $0)) })
    }
}
