import AMQP

/// What a long-running consumer does once its deliveries end: a pure decision, so that every
/// reason is covered by a test without a broker.
public enum ConsumerEndPolicy {
    public enum Action: Sendable, Hashable {
        /// We are shutting down (or cancelled it ourselves): end quietly.
        case stop
        /// The broker cancelled it (e.g. its queue was deleted): declare the topology and consume again.
        case consumeAgain
        /// It ended under us for another reason (channel or connection closed): an error, so the
        /// process exits non-zero and its supervisor restarts it.
        case fail
    }

    public static func decide(_ end: AMQPConsumerEnd?, stopping: Bool) -> Action {
        if stopping { return .stop }
        switch end {
        case .cancelledByBroker: return .consumeAgain
        case .cancelledByClient: return .stop
        case .channelClosed, .connectionClosed, nil: return .fail
        }
    }
}
