import AMQP
import Coordinator
import FleetConfig
import FleetModel
import Foundation
import Messaging
import Postgres
import Storage
import TestSupport

/// A fresh database, a private topology and the connections a coordinator test needs.
struct Harness {
    let db: TestDatabase
    let configuration: FleetConfiguration
    let amqp: AMQPConnection
    let channel: AMQPChannel

    var topology: Topology { configuration.topology }
    var store: TaskStore { TaskStore(connection: db.connection) }
    var publisher: WorkPublisher { WorkPublisher(channel: channel, topology: topology, signing: .unsigned) }

    static func make(maxActive: Int = 5, configuration given: FleetConfiguration? = nil) async throws -> Harness {
        let db = try await TestDatabase.create()
        let configuration = try given ?? TaskFixtures.configuration(maxActive: maxActive)
        let amqp = try await AMQPConnection.connect(url: TestEnvironment.amqpURL)
        let channel = try await amqp.openChannel()
        try await configuration.topology.declare(on: channel)
        try await channel.enablePublisherConfirms()
        return Harness(db: db, configuration: configuration, amqp: amqp, channel: channel)
    }

    func tearDown() async {
        try? await topology.delete(on: channel)
        await amqp.close()
        await db.drop()
    }

    /// Parses, tiles and stores a spec.
    @discardableResult
    func submit(_ text: String) async throws -> TaskPlan {
        let spec = try TaskSpecParser(configuration: configuration).parse(text, file: "test.yaml")
        let plan = try TaskPlan(spec: spec)
        try await store.insert(plan)
        return plan
    }

    /// A dispatcher with its own database connection and broker channel.
    func dispatcher(lease: Duration = .seconds(600)) async throws -> Dispatcher {
        let connection = try await PostgresConnection.connect(to: db.url)
        let channel = try await amqp.openChannel()
        try await channel.enablePublisherConfirms()
        return Dispatcher(connection: connection, channel: channel, topology: topology, signing: .unsigned, lease: lease)
    }

    /// Moves every tile's times `by` into the past, as if that long had gone by since.
    func age(_ by: Duration) async throws {
        let seconds = Double(by.components.seconds)
        try await db.connection.execute("""
            UPDATE tiles SET dispatched_at = dispatched_at - make_interval(secs => \(seconds)),
                             item_at = item_at - make_interval(secs => \(seconds)),
                             status_at = status_at - make_interval(secs => \(seconds)),
                             seen_at = seen_at - make_interval(secs => \(seconds))
            """)
    }

    /// What the recorder does with a coordinator tick: the watermark moves to `time`.
    func applyTick(_ time: Date) async throws {
        try await EventStore(connection: db.connection).apply([], tick: time)
    }

    func count(_ sql: PostgresQuery) async throws -> Int {
        try await db.connection.query(sql)[0].decode(Int.self, at: 0)
    }

    /// Takes up to `count` work items from `backend`'s work queue (waits up to `timeout`).
    func takeWorkItems(_ count: Int, backend: String = "sim", timeout: Duration = .seconds(10)) async throws -> [WorkItem] {
        let consumer = try await channel.consume(queue: topology.workQueue(backend: backend), noAck: true)
        let items = await collect(consumer, timeout: timeout, transform: { try? WorkItem.decode($0.body) }, until: { $0.count >= count })
        try? await consumer.cancel()
        return items
    }

    /// Messages waiting in the `sim` work queue.
    func queuedMessages() async throws -> Int {
        Int(try await channel.declareQueue(topology.workQueue(backend: "sim"), arguments: ["x-dead-letter-exchange": .string(topology.deadExchange)]).messageCount)
    }

    /// What a worker and the recorder would do: status events applied to PostgreSQL.
    func apply(_ events: [StatusEvent]) async throws {
        try await EventStore(connection: db.connection).apply(events)
    }
}
