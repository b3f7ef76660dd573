/// Publisher-confirm bookkeeping for one channel incarnation, free of sockets and threads so it can be
/// unit-tested.
///
/// Sequence numbers start at 1 after `confirm.select` and count every publish on the channel. The
/// broker answers with `basic.ack`/`basic.nack` carrying a tag; `multiple` settles every outstanding
/// sequence number up to and including the tag. `Waiter` is whatever the owner attaches to a publish
/// (a continuation, or nothing for fire-and-forget publishes).
struct ConfirmTracker<Waiter> {
    enum Outcome: Equatable {
        case acked
        case nacked
        /// Acked, but a mandatory publish that the broker returned as unroutable first.
        case returned(replyCode: UInt16, replyText: String)
    }

    private struct Entry {
        var waiter: Waiter?
        var returned: (code: UInt16, text: String)?
        var mandatoryMessageID: String?
    }

    /// The sequence number the next publish gets.
    private(set) var nextSequence: UInt64 = 1
    /// Every sequence number below this is settled.
    private(set) var lowestOutstanding: UInt64 = 1
    private var pending: [UInt64: Entry] = [:]
    /// Mandatory publishes with a message id, so a `basic.return` can be matched to its publish.
    private var mandatoryByMessageID: [String: UInt64] = [:]

    /// Publishes not yet acked or nacked.
    var outstanding: Int { pending.count }

    /// Records a publish and returns its sequence number.
    mutating func recordPublish(waiter: Waiter?, mandatoryMessageID: String? = nil) -> UInt64 {
        let sequence = nextSequence
        nextSequence += 1
        pending[sequence] = Entry(waiter: waiter, mandatoryMessageID: mandatoryMessageID)
        if let mandatoryMessageID { mandatoryByMessageID[mandatoryMessageID] = sequence }
        return sequence
    }

    /// Notes a `basic.return` for the mandatory publish with `messageID`; its later ack is reported as
    /// ``Outcome/returned(replyCode:replyText:)``. Returns false if no such publish is outstanding.
    @discardableResult
    mutating func recordReturn(messageID: String, replyCode: UInt16, replyText: String) -> Bool {
        guard let sequence = mandatoryByMessageID.removeValue(forKey: messageID), pending[sequence] != nil else { return false }
        pending[sequence]?.returned = (replyCode, replyText)
        return true
    }

    /// Settles `tag` (and with `multiple` everything below it), calling `settled` once per publish in
    /// ascending order. Returns how many were settled; tags already settled are ignored.
    @discardableResult
    mutating func settle(tag: UInt64, multiple: Bool, ack: Bool, _ settled: (UInt64, Waiter?, Outcome) -> Void) -> Int {
        var count = 0
        let last = min(tag, nextSequence - 1)
        guard tag >= 1, last >= (multiple ? lowestOutstanding : tag) else { return 0 }
        for sequence in (multiple ? lowestOutstanding : tag)...last {
            guard let entry = pending.removeValue(forKey: sequence) else { continue }
            count += 1
            if let id = entry.mandatoryMessageID, mandatoryByMessageID[id] == sequence {
                mandatoryByMessageID.removeValue(forKey: id)
            }
            let outcome: Outcome
            if !ack {
                outcome = .nacked
            } else if let returned = entry.returned {
                outcome = .returned(replyCode: returned.code, replyText: returned.text)
            } else {
                outcome = .acked
            }
            settled(sequence, entry.waiter, outcome)
        }
        advanceLowest()
        return count
    }

    /// Forgets every outstanding publish (the channel or connection is gone) and restarts numbering at 1
    /// for the next `confirm.select`. Calls `lost` for each, in ascending order.
    mutating func reset(_ lost: (UInt64, Waiter?) -> Void) {
        for sequence in pending.keys.sorted() {
            lost(sequence, pending[sequence]?.waiter ?? nil)
        }
        pending.removeAll()
        mandatoryByMessageID.removeAll()
        nextSequence = 1
        lowestOutstanding = 1
    }

    /// True when every publish up to and including `sequence` is settled.
    func isSettled(through sequence: UInt64) -> Bool {
        sequence < lowestOutstanding
    }

    private mutating func advanceLowest() {
        while lowestOutstanding < nextSequence && pending[lowestOutstanding] == nil {
            lowestOutstanding += 1
        }
    }
}
