import Testing
@testable import AMQP

/// The record of declarations replayed after a reconnect.
@Suite struct TopologyRecordTests {
    static let exchange = ChannelOperation.declareExchange(name: "jobs", type: .topic, durable: true, autoDelete: false, internal: false, arguments: [:])
    static let queue = ChannelOperation.declareQueue(name: "work", durable: true, exclusive: false, autoDelete: false, arguments: [:])
    static let otherQueue = ChannelOperation.declareQueue(name: "audit", durable: true, exclusive: false, autoDelete: false, arguments: [:])
    static let binding = ChannelOperation.bindQueue(queue: "work", exchange: "jobs", routingKey: "tile.*", arguments: [:])
    static let otherBinding = ChannelOperation.bindQueue(queue: "audit", exchange: "jobs", routingKey: "#", arguments: [:])

    static func declared() -> TopologyRecord {
        var record = TopologyRecord()
        for operation in [exchange, queue, otherQueue, binding, otherBinding] { record.apply(operation, on: 1) }
        return record
    }

    @Test func keepsDeclarationsInOrderWithTheirChannel() {
        var record = TopologyRecord()
        record.apply(Self.exchange, on: 3)
        record.apply(Self.queue, on: 1)
        record.apply(Self.binding, on: 1)
        #expect(record.entries == [
            .init(channel: 3, operation: Self.exchange),
            .init(channel: 1, operation: Self.queue),
            .init(channel: 1, operation: Self.binding),
        ])
    }

    @Test func aRepeatedDeclarationIsRecordedOnce() {
        var record = TopologyRecord()
        record.apply(Self.queue, on: 1)
        record.apply(Self.queue, on: 2)
        #expect(record.entries == [.init(channel: 1, operation: Self.queue)])
    }

    @Test func deletingAnExchangeForgetsItAndItsBindings() {
        var record = Self.declared()
        record.apply(.deleteExchange(name: "jobs", ifUnused: false), on: 1)
        #expect(record.entries.map(\.operation) == [Self.queue, Self.otherQueue])
    }

    @Test func deletingAQueueForgetsItAndItsBindings() {
        var record = Self.declared()
        record.apply(.deleteQueue(name: "work", ifUnused: false, ifEmpty: false), on: 2)
        #expect(record.entries.map(\.operation) == [Self.exchange, Self.otherQueue, Self.otherBinding])
    }

    @Test func unbindingForgetsExactlyThatBinding() {
        var record = Self.declared()
        record.apply(.unbindQueue(queue: "work", exchange: "jobs", routingKey: "other", arguments: [:]), on: 1)
        #expect(record.entries.count == 5)
        record.apply(.unbindQueue(queue: "work", exchange: "jobs", routingKey: "tile.*", arguments: [:]), on: 1)
        #expect(record.entries.map(\.operation) == [Self.exchange, Self.queue, Self.otherQueue, Self.otherBinding])
    }

    @Test func otherOperationsLeaveItAlone() {
        var record = Self.declared()
        let before = record
        for operation: ChannelOperation in [
            .purgeQueue(name: "work"), .qos(prefetchCount: 10, global: false), .confirmSelect(window: 100),
            .consume(queue: "work", tag: "c1", noAck: false, exclusive: false, arguments: [:]), .cancel(tag: "c1"), .close,
            .deleteExchange(name: "unknown", ifUnused: false), .deleteQueue(name: "unknown", ifUnused: false, ifEmpty: false),
        ] {
            record.apply(operation, on: 1)
        }
        #expect(record == before)
    }
}
