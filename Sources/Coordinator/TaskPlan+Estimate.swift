import FleetModel

extension TaskPlan {
    /// The tiles `tilefleet submit --sample` runs first (see ``EstimateSample``), the same for
    /// the same spec: the seed is the task id's hash.
    public func estimateSample(_ size: EstimateSample.Size) -> EstimateSample {
        EstimateSample(records.map { record in
            EstimateSample.Candidate(window: record.window?.label, size: record.areaKm2 * Double(record.window?.days ?? 1))
        }, size: size, seed: Self.fnv1a(spec.id))
    }
}
