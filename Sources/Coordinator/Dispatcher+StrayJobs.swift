import AMQP
import FleetModel
import Geo
import Messaging
import Storage

extension Dispatcher {
    /// Sends a cancel item for every backend job still queued or running that no tile wants any
    /// more: a job of a canceled tile, or of an attempt that is not its tile's current one (a
    /// retry a worker started as the tile was canceled, a submit that landed after its cancel
    /// gave up). Each job gets one cancel: `cancel_sent_at` is set in the transaction that is
    /// committed only after the broker confirmed the items. A job whose tile or status changed
    /// within `grace` is left to the cancel already on its way for it; at most `limit` jobs per
    /// pass, so the rows are not held for long. With `resendAfter`, a cancel sent that long ago
    /// for a job still not ended is sent again (the broker may have lost it; a cancel is harmless twice).
    public func cancelStrayJobs(grace: Duration = .seconds(60), resendAfter: Duration? = nil, limit: Int = 500) async throws -> Int {
        try await store.fencedTransaction("the stray-job pass") { transaction in
            let strays = try await transaction.strayJobs(grace: grace, resendAfter: resendAfter, limit: limit)
            var cancels: [WorkItem] = []
            for stray in strays {
                let spec = try await spec(of: stray.task, in: transaction)
                cancels.append(spec.cancelItem(task: stray.task, tile: stray.tile, attempt: stray.attempt, backend: stray.backend,
                                               tileParameters: stray.parameters, backendJobID: stray.jobID))
                try await transaction.markCancelSent(task: stray.task, tile: stray.tile, attempt: stray.attempt)
            }
            try await publish(cancels)
            return strays.count
        }
    }
}
