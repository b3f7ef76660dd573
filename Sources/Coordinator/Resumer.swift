import FleetModel
import Foundation
import Messaging

/// `tilefleet resume`: the coordinator's recovery pass, run now by an operator. Declares the
/// topology (a broker that lost its definitions gets them back), republishes every tile in flight
/// whose items' leases have run out (``Dispatcher/recover(silence:task:limit:)``) and sends again
/// the cancels of jobs still running long after theirs went out. Safe to run any number of
/// times, from any host, while the fleet runs: a tile is republished only once no older item can
/// act, and its mark is committed before the item goes out. Optional: the coordinator runs the
/// same pass every `recovery.heal_interval`.
public struct Resumer: Sendable {
    public let dispatcher: Dispatcher
    /// Per backend: how long a tile must be silent before it is republished.
    public let silence: [String: Duration]

    public init(dispatcher: Dispatcher, silence: [String: Duration]) {
        self.dispatcher = dispatcher
        self.silence = silence
    }

    /// What was republished.
    public struct Outcome: Sendable, Hashable {
        public var polls: Int
        public var submits: Int
        public var cancels: Int

        public init(polls: Int, submits: Int, cancels: Int = 0) {
            self.polls = polls
            self.submits = submits
            self.cancels = cancels
        }
    }

    public func resume(task: String? = nil) async throws -> Outcome {
        try await dispatcher.topology.declare(on: dispatcher.channel)
        let recovered = try await dispatcher.recover(silence: silence, task: task)
        let resend = silence.values.max() ?? .seconds(600)
        let cancels = try await dispatcher.cancelStrayJobs(resendAfter: resend)
        return Outcome(polls: recovered.polls, submits: recovered.submits, cancels: cancels)
    }
}
