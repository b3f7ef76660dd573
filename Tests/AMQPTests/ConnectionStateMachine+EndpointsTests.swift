import Testing
@testable import AMQP

/// Several broker URLs (a cluster's nodes): after a loss the next attempt goes to the next node,
/// every failed attempt moves on, round the list.
@Suite struct ConnectionEndpointTests {
    static func machine(endpoints: Int) -> ConnectionStateMachine {
        ConnectionStateMachine(policy: AMQPReconnectPolicy(initialDelay: 1, maxDelay: 10, multiplier: 2, jitter: 0.5),
                               endpoints: endpoints, random: { 0.5 })
    }

    @Test func aLostConnectionMovesToTheNextNodeAndFailuresGoRoundTheList() {
        var machine = Self.machine(endpoints: 3)
        #expect(machine.firstConnected(endpoint: 1) == .markOpen)
        #expect(machine.endpoint == 1)
        #expect(machine.connectionLost(reason: "node 2 died") == .failInFlight(reason: "node 2 died"))
        #expect(machine.endpoint == 2)
        #expect(machine.nextReconnect() == .scheduleReconnect(attempt: 1, delay: 1.25))
        #expect(machine.reconnectAttemptFailed(reason: "refused") == .reportFailedAttempt(attempt: 1, reason: "refused", retryIn: 2))
        #expect(machine.endpoint == 0)
        #expect(machine.nextReconnect() == .scheduleReconnect(attempt: 2, delay: 2.5))
        #expect(machine.connected() == .startReplay)
        #expect(machine.endpoint == 0, "the node that answered is kept")
    }

    @Test func aLossDuringReplayAlsoMovesOn() {
        var machine = Self.machine(endpoints: 2)
        #expect(machine.firstConnected(endpoint: 0) == .markOpen)
        _ = machine.connectionLost(reason: "gone")
        _ = machine.nextReconnect()
        #expect(machine.connected() == .startReplay)
        #expect(machine.endpoint == 1)
        _ = machine.connectionLost(reason: "gone again")
        #expect(machine.endpoint == 0)
    }

    @Test func oneURLStaysOnIt() {
        var machine = Self.machine(endpoints: 1)
        #expect(machine.connected() == .markOpen)
        _ = machine.connectionLost(reason: "gone")
        _ = machine.nextReconnect()
        _ = machine.reconnectAttemptFailed(reason: "refused")
        #expect(machine.endpoint == 0)
    }

    @Test func aCommaSeparatedURLIsACluster() throws {
        let configuration = try AMQPConfiguration(url: "amqp://u:p@a:5672/v, amqp://u:p@b:5673/v,amqp://u:p@c/v")
        #expect(configuration.urls.map(\.host) == ["a", "b", "c"])
        #expect(configuration.urls.map(\.port) == [5672, 5673, 5672])
        #expect(throws: AMQPURL.ParseError.self) { try AMQPConfiguration(url: "amqp://a/v,,amqp://b/v") }
    }
}
