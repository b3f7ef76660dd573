import AMQP

extension AMQPTable {
    /// This table with `other`'s entries added (replacing equal keys).
    func merging(_ other: AMQPTable) -> AMQPTable {
        var merged = self
        for (key, value) in other.entries { merged[key] = value }
        return merged
    }
}
