/// Orders acknowledgements when batches commit out of order.
///
/// A multiple-ack for a batch's last delivery also acknowledges every earlier delivery on the
/// channel, so it may only be sent once every earlier batch has committed. Batches are numbered
/// as they are handed to writers; each commit reports its number, and the sequencer answers with
/// the delivery to acknowledge now — the last of the newest batch in the committed run — or nil
/// while an earlier batch is still being written.
struct AckSequencer<Delivery> {
    private var nextBatch = 0
    private var oldestUnacked = 0
    private var committed: [Int: Delivery] = [:]

    /// Numbers the next batch handed to a writer.
    mutating func begin() -> Int {
        defer { nextBatch += 1 }
        return nextBatch
    }

    /// Records that `batch`, whose last delivery is `last`, has committed; returns the delivery
    /// to acknowledge with one multiple-ack, if any.
    mutating func commit(_ batch: Int, last: Delivery) -> Delivery? {
        precondition(batch >= oldestUnacked && batch < nextBatch && committed[batch] == nil,
                     "batch \(batch) committed twice or never begun")
        committed[batch] = last
        var acknowledge: Delivery?
        while let delivery = committed.removeValue(forKey: oldestUnacked) {
            acknowledge = delivery
            oldestUnacked += 1
        }
        return acknowledge
    }

    /// Batches begun but not yet acknowledged.
    var outstanding: Int { nextBatch - oldestUnacked }
}
