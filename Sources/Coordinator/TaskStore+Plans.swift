import Foundation
import Postgres
import Storage

extension TaskStore {
    /// Stores a planned task and its tiles in one transaction; nothing is stored if any part fails.
    /// `requestedBy`: the user it is stored for (nil: the process's `USER`). With `sample`, the
    /// task is stored sampling: only those tiles are dispatched until ``TaskStore/releaseSample(task:)``.
    @discardableResult
    public func insert(_ plan: TaskPlan, requestedBy: String? = nil, sample: EstimateSample? = nil) async throws -> Int {
        let spec = plan.spec
        var task = NewTask(id: spec.id, title: spec.title, backend: spec.backend, spec: try PostgresJSON(spec),
                           priority: spec.priority, maxAttempts: spec.maxAttempts, maxRuntimeSeconds: spec.maxRuntimeSeconds,
                           budget: spec.budget, requestedBy: requestedBy, sampling: sample != nil)
        task.backends = spec.backendNames
        let chosen = Set(sample?.indices ?? [])
        let records = plan.records
        return try await insert(task, count: records.count) { index in
            let record = records[index]
            return NewTile(tileID: record.tileID, cellID: record.cellID, windowLabel: record.window?.label,
                           windowStart: record.window.map { "\($0.start)" }, windowEnd: record.window.map { "\($0.end)" },
                           parametersJSON: record.parametersJSON, geometry: record.geometry, areaKm2: record.areaKm2,
                           sample: chosen.contains(index))
        }
    }

    /// The stored spec of `task`.
    public func spec(of task: String) async throws -> TaskSpec {
        try await spec(of: task, as: TaskSpec.self)
    }
}
