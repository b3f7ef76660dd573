import FleetModel
import Geo
import Messaging

extension TaskSpec {
    /// The `cancel` item for one attempt of a tile of this task. Without `backendJobID` the
    /// worker finds the attempt's job by its idempotency key.
    func cancelItem(task: String, tile: String, attempt: Int, backend: String, tileParameters: [String: JSONValue],
                    backendJobID: String?) -> WorkItem {
        WorkItem(kind: .cancel, task: task, tile: tile, attempt: attempt, maxAttempts: maxAttempts, backend: backend,
                 job: backendJob(tileID: tile, tileParameters: tileParameters, backend: backend), backendJobID: backendJobID)
    }
}
