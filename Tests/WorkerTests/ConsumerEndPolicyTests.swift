import AMQP
import Messaging
import Testing

/// What a worker's or recorder's consumer does once its deliveries end, for every reason.
@Suite struct ConsumerEndPolicyTests {
    @Test func aBrokerCancelIsHealedUnlessWeAreStopping() {
        #expect(ConsumerEndPolicy.decide(.cancelledByBroker, stopping: false) == .consumeAgain)
        #expect(ConsumerEndPolicy.decide(.cancelledByBroker, stopping: true) == .stop)
    }

    @Test func ourOwnCancelStopsQuietly() {
        #expect(ConsumerEndPolicy.decide(.cancelledByClient, stopping: false) == .stop)
        #expect(ConsumerEndPolicy.decide(.cancelledByClient, stopping: true) == .stop)
    }

    @Test func anyOtherEndIsAFailureUnlessWeAreStopping() {
        for end: AMQPConsumerEnd? in [.channelClosed, .connectionClosed, nil] {
            #expect(ConsumerEndPolicy.decide(end, stopping: false) == .fail)
            #expect(ConsumerEndPolicy.decide(end, stopping: true) == .stop)
        }
    }
}
