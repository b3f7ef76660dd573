import FleetModel

extension TaskPlan {
    /// The tiles `tilefleet submit --sample` runs first (see ``EstimateSample``), the same for
    /// the same spec: the seed is the task id's hash.
    public func estimateSample(_ size: EstimateSample.Size) -> EstimateSample {
        var seed: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in spec.id.utf8 {
            seed ^= UInt64(byte)
            seed = seed &* 0x0000_0100_0000_01b3
        }
        return EstimateSample(records.map { record in
            EstimateSample.Candidate(window: record.window?.label, size: record.areaKm2 * Double(record.window?.days ?? 1))
        }, size: size, seed: seed)
    }
}
