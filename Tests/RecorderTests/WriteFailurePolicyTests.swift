import Postgres
@testable import Recorder
import Storage
import Testing

/// The recorder's answer to each way a batch write can fail, without a database.
@Suite struct WriteFailurePolicyTests {
    static func storageError(_ kind: PostgresError.Kind, sqlState: String? = nil) -> StorageError {
        StorageError(PostgresError(kind: kind, sqlState: sqlState, message: "test"))
    }

    @Test(arguments: [PostgresError.Kind.connectionLost, .connectionFailed, .connectionClosed])
    func aBrokenConnectionKeepsTheBatchAndWaits(kind: PostgresError.Kind) {
        let failure = WriteFailurePolicy.failure(of: Self.storageError(kind))
        #expect(failure == .connectionProblem)
        #expect(WriteFailurePolicy.decide(failure, batchCount: 500) == .waitAndRetry)
        #expect(WriteFailurePolicy.decide(failure, batchCount: 1) == .waitAndRetry, "never rejects an event for a lost connection")
    }

    @Test(arguments: ["40P01", "40001"])
    func aLostRaceIsRerunAtOnce(sqlState: String) {
        let failure = WriteFailurePolicy.failure(of: Self.storageError(.server, sqlState: sqlState))
        #expect(failure == .conflict)
        #expect(WriteFailurePolicy.decide(failure, batchCount: 500) == .rerun)
        #expect(WriteFailurePolicy.decide(failure, batchCount: 1) == .rerun)
    }

    @Test func aRefusedBatchIsSplitAndARefusedEventRejected() {
        let failure = WriteFailurePolicy.failure(of: Self.storageError(.server, sqlState: "22P02"))
        #expect(failure == .refused)
        #expect(WriteFailurePolicy.decide(failure, batchCount: 2) == .split)
        #expect(WriteFailurePolicy.decide(failure, batchCount: 1) == .reject)
    }

    @Test func aClientSideErrorIsARefusal() {
        #expect(WriteFailurePolicy.failure(of: Self.storageError(.decoding)) == .refused)
        #expect(WriteFailurePolicy.failure(of: Self.storageError(.client)) == .refused)
    }
}
