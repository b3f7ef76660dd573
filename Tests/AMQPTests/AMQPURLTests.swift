import Testing
@testable import AMQP

@Suite("AMQPURL")
struct AMQPURLTests {
    @Test func parsesAFullURL() throws {
        let url = try AMQPURL("amqp://worker:s3cr%40t@rabbit.example.org:5673/tilefleet?heartbeat=10")
        #expect(url.scheme == .amqp)
        #expect(url.user == "worker")
        #expect(url.password == "s3cr@t")
        #expect(url.host == "rabbit.example.org")
        #expect(url.port == 5673)
        #expect(url.vhost == "tilefleet")
        #expect(url.heartbeat == 10)
    }

    @Test func decodesTheDefaultVhost() throws {
        let url = try AMQPURL("amqp://guest:guest@127.0.0.1:5673/%2F")
        #expect(url.vhost == "/")
        #expect(url.port == 5673)
    }

    @Test func appliesDefaults() throws {
        let plain = try AMQPURL("amqp://localhost")
        #expect(plain.port == 5672)
        #expect(plain.user == "guest" && plain.password == "guest")
        #expect(plain.vhost == "/")
        let tls = try AMQPURL("AMQPS://broker?cacertfile=%2Fetc%2Fca.pem")
        #expect(tls.scheme == .amqps)
        #expect(tls.port == 5671)
        #expect(tls.caCertificateFile == "/etc/ca.pem")
        #expect(try AMQPURL("amqp://").host == "localhost")
    }

    @Test func parsesIPv6Hosts() throws {
        let url = try AMQPURL("amqp://u:p@[::1]:5673/v")
        #expect(url.host == "::1")
        #expect(url.port == 5673)
        #expect(url.description == "amqp://u:***@[::1]:5673/v")
    }

    @Test func descriptionRedactsThePassword() throws {
        let url = try AMQPURL("amqp://guest:hunter2@127.0.0.1:5673/%2F")
        #expect(url.description == "amqp://guest:***@127.0.0.1:5673/%2F")
        #expect(!"\(url)".contains("hunter2"))
        #expect(!String(reflecting: url).contains("hunter2"))
    }

    @Test(arguments: [
        ("http://u:hunter2@host/v", AMQPURL.Part.scheme),
        ("u:hunter2@host/v", .scheme),
        ("amqp://u:hunter2@ho st:5672/v", .host),
        ("amqp://u:hunter2@[::1:5672/v", .host),
        ("amqp://u:hunter2@host:/v", .port),
        ("amqp://u:hunter2@host:70000/v", .port),
        ("amqp://u:hunter2@host:56x2/v", .port),
        ("amqp://u:hunter2@host:5672/a/b", .vhost),
        ("amqp://u:hunter2@host:5672/", .vhost),
        ("amqp://u:hunter2@host:5672/%zz", .vhost),
        ("amqp://u:hunt%2er2%@host:5672/v", .password),
        ("amqp://u%g:hunter2@host:5672/v", .user),
        ("amqp://u:hunter2@host:5672/v?heartbeat=soon", .query),
        ("amqp://u:hunter2@host:5672/v?frobnicate=1", .query),
    ])
    func namesTheMalformedPart(url: String, part: AMQPURL.Part) {
        do {
            _ = try AMQPURL(url)
            Issue.record("\(part) error expected")
        } catch {
            #expect(error.part == part)
            #expect(!error.description.contains("hunter2"))
            #expect(!error.description.contains("hunt"))
            #expect(error.description.contains(part.rawValue))
        }
    }

    @Test func reconnectBackoffGrowsAndIsCapped() {
        let policy = AMQPReconnectPolicy(initialDelay: 0.1, maxDelay: 2, multiplier: 2, jitter: 0.5)
        #expect(policy.delay(beforeAttempt: 1, random: 0) == 0.1)
        #expect(policy.delay(beforeAttempt: 2, random: 0) == 0.2)
        #expect(policy.delay(beforeAttempt: 4, random: 0) == 0.8)
        #expect(abs(policy.delay(beforeAttempt: 4, random: 1) - 1.2) < 1e-9)
        #expect(policy.delay(beforeAttempt: 30, random: 1) == 2)
    }

    @Test func tableKeepsOrderAndReplacesValues() {
        var table: AMQPTable = ["x-queue-type": "quorum", "x-message-ttl": 300, "x-single-active-consumer": true]
        table["x-message-ttl"] = 500
        #expect(table.entries.map(\.key) == ["x-queue-type", "x-message-ttl", "x-single-active-consumer"])
        #expect(table["x-message-ttl"] == .int(500))
        #expect(table["x-queue-type"]?.stringValue == "quorum")
        table["x-queue-type"] = nil
        #expect(table.count == 2)
    }
}
