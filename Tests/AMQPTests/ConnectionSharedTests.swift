import Testing
@testable import AMQP

/// The command queue between callers and the connection thread, without a connection.
@Suite struct ConnectionSharedTests {
    static func settle(_ tag: UInt64) -> Command {
        .settle(channel: 1, generation: 1, tag: tag, .ack(multiple: false))
    }

    static func tags(_ commands: [Command]) -> [UInt64] {
        commands.compactMap { command in
            if case .settle(_, _, let tag, _) = command { return tag }
            return nil
        }
    }

    /// The thread took a batch and the connection died after the first: the rest go back ahead of
    /// what callers queued meanwhile, in order, so the loss handling fails every one of them
    /// (before, they were dropped and their callers' continuations never resumed).
    @Test func commandsPutBackAfterALossComeFirstAndInOrder() throws {
        let shared = ConnectionShared()
        shared.setStatus(.open)
        for tag: UInt64 in 1...3 { try shared.enqueue(Self.settle(tag)) }
        let batch = shared.takeCommands()
        #expect(Self.tags(batch) == [1, 2, 3])
        try shared.enqueue(Self.settle(4))
        shared.requeueFront(batch[1...])
        #expect(Self.tags(shared.takeCommands()) == [2, 3, 4])
        #expect(shared.takeCommands().isEmpty)
    }

    @Test func puttingBackNothingChangesNothing() throws {
        let shared = ConnectionShared()
        shared.setStatus(.open)
        try shared.enqueue(Self.settle(7))
        shared.requeueFront([Command]())
        #expect(Self.tags(shared.takeCommands()) == [7])
    }
}
