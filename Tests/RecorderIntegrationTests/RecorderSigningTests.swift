import AMQP
import FleetModel
import Foundation
import Messaging
import Postgres
import Testing
import TestSupport

/// With an events key, the recorder applies only events, heartbeats and ticks that carry a valid
/// tag of it; the rest go to `rejected_events` and the dead-letter queue with the reason.
@Suite(.serialized) struct RecorderSigningTests {
    static func keyFile(_ directory: String, _ name: String, _ text: String) throws -> String {
        let path = directory + "/" + name
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
        return path
    }

    @Test func onlyEventsTaggedWithTheEventsKeyAreApplied() async throws {
        let db = try await TestDatabase.create()
        let topology = Topology(prefix: "test-\(UUID().uuidString.prefix(8))")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("signing-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { TestCleanup.later { await db.drop(); await RecorderTests.cleanUp(topology); try? FileManager.default.removeItem(atPath: directory) } }
        let eventsKey = MessageKeyRing.newKey()
        let signing = MessageSigning(events: try MessageKeyFile(path: Self.keyFile(directory, "events.key", eventsKey)))
        try await db.makeTask("signed", tiles: 4)
        let events = EventFixtures.lifeEvents(task: "signed", tiles: 4)
        let forged = StatusEvent(task: "signed", tile: TestDatabase.tileID(0), attempt: 1, status: .failed, error: "forged")
        let tampered = StatusEvent(task: "signed", tile: TestDatabase.tileID(1), attempt: 1, status: .failed, error: "tampered")

        let amqp = try await AMQPConnection.connect(url: TestEnvironment.amqpURL)
        let channel = try await amqp.openChannel()
        try await topology.declare(on: channel)
        try await channel.enablePublisherConfirms()
        let json = AMQPProperties(contentType: "application/json")
        try await channel.publish(forged.encoded(), exchange: topology.eventsExchange, routingKey: forged.routingKey, properties: json)
        // A tag of the work key, another key, vouches for no event.
        let workTagged = MessageSigning(work: try MessageKeyFile(path: Self.keyFile(directory, "work.key", MessageKeyRing.newKey())))
        try await channel.publish(forged.encoded(), exchange: topology.eventsExchange, routingKey: forged.routingKey,
                                  properties: workTagged.tagged(json, body: forged.encoded(), purpose: .work))
        // A valid tag of another body.
        try await channel.publish(tampered.encoded(), exchange: topology.eventsExchange, routingKey: tampered.routingKey,
                                  properties: signing.tagged(json, body: events[0].encoded(), purpose: .events))
        for event in events {
            let body = event.encoded()
            try await channel.publish(body, exchange: topology.eventsExchange, routingKey: event.routingKey,
                                      properties: signing.tagged(json, body: body, purpose: .events))
        }
        try await channel.waitForConfirms()

        try await RecorderTests.withRecorder(database: db.url, topology: topology, signing: signing) {
            #expect(try await RecorderTests.waitForEvents(db.connection, count: events.count) == events.count)
            var rejected = 0
            try await eventually(timeout: .seconds(10)) {
                rejected = try await db.connection.query("SELECT count(*) FROM rejected_events")[0].decode(Int.self, at: 0)
                return rejected == 3
            }
            #expect(rejected == 3)
        }
        let reasons = try await db.connection.query("SELECT reason FROM rejected_events ORDER BY reason").map { try $0.decode(String.self, at: 0) }
        #expect(reasons.contains { $0.hasPrefix("no authenticity tag") }, "\(reasons)")
        #expect(reasons.contains { $0.contains("made with an unknown key") }, "\(reasons)")
        #expect(reasons.contains { $0.contains("does not match the message") }, "\(reasons)")
        let errors = try await db.connection.query("SELECT count(*) FROM events WHERE error IN ('forged', 'tampered')")
        #expect(try errors[0].decode(Int.self, at: 0) == 0)
        await amqp.close()
    }
}
