import Foundation
import Testing
@testable import Postgres

@Suite struct PostgresValueTests {
    @Test(arguments: [0.0, 1_700_000_000.123456, -86_400.5, 4_102_444_800.000001, 951_782_400.25])
    func timestampRoundTrips(seconds: Double) throws {
        let date = Date(timeIntervalSince1970: seconds)
        let text = PostgresTimestamp.format(date)
        let back = try #require(PostgresTimestamp.parse(text))
        #expect(abs(back.timeIntervalSince1970 - seconds) < 1e-6, "\(text)")
    }

    @Test func timestampParsesOffsetsAndLeapDays() throws {
        #expect(PostgresTimestamp.format(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29 00:00:00.000000+00")
        let withOffset = try #require(PostgresTimestamp.parse("2024-01-01 02:00:00+02"))
        #expect(withOffset.timeIntervalSince1970 == 1_704_067_200)
        let withMinutes = try #require(PostgresTimestamp.parse("2024-01-01 05:30:00.5+05:30"))
        #expect(withMinutes.timeIntervalSince1970 == 1_704_067_200.5)
        #expect(PostgresTimestamp.parse("yesterday") == nil)
    }

    @Test func interpolationBecomesParameters() {
        let task = "t-1"
        let limit = 5
        let missing: String? = nil
        let query: PostgresQuery = "SELECT * FROM tiles WHERE task_id = \(task) AND n < \(limit) AND x = \(missing)"
        #expect(query.sql == "SELECT * FROM tiles WHERE task_id = $1 AND n < $2 AND x = $3")
        #expect(query.binds.map(\.text) == ["t-1", "5", nil])
        #expect(query.binds.map(\.type) == [.text, .int8, .text])
    }

    @Test func copyBufferEscapesTextFormat() {
        var buffer = PostgresCopyBuffer(chunkSize: 16)
        buffer.append(["a\tb", 42, nil])
        buffer.append(["back\\slash\nnew", -7, true])
        buffer.appendField(-12_345, first: true)
        buffer.appendField("x")
        buffer.finishRow()
        let text = String(decoding: buffer.allChunks.joined(), as: UTF8.self)
        #expect(text == "a\\tb\t42\t\\N\nback\\\\slash\\nnew\t-7\tt\n-12345\tx\n")
        #expect(buffer.rowCount == 3)
        #expect(buffer.allChunks.count > 1)
    }

    @Test func byteaHexRoundTrips() throws {
        let bytes = PostgresBytes([0, 1, 0xAB, 0xFF])
        #expect(bytes.postgresText == "\\x0001abff")
        #expect(try PostgresBytes(postgresText: "\\x0001ABff", type: .bytea) == bytes)
    }
}
