import AMQP
import FleetModel
import Foundation

/// Which fleet messages a process tags and checks, and with which keys: the work key for work
/// items, the events key for what the recorder applies. A kind of message without a key is sent
/// untagged and accepted untagged; with one, a message without a valid tag is refused (a worker
/// dead-letters the item, the recorder rejects the event, each naming the reason).
public struct MessageSigning: Sendable {
    /// The message header that carries the tag.
    public static let tagHeader = "x-tilefleet-tag"

    public let work: MessageKeyFile?
    public let events: MessageKeyFile?

    public init(work: MessageKeyFile? = nil, events: MessageKeyFile? = nil) {
        self.work = work
        self.events = events
    }

    /// Reads the key files named (either may be absent).
    public init(workKeyFile: String?, eventKeyFile: String?) throws(MessageKeyRing.Problem) {
        self.work = try workKeyFile.map { path throws(MessageKeyRing.Problem) in try MessageKeyFile(path: path) }
        self.events = try eventKeyFile.map { path throws(MessageKeyRing.Problem) in try MessageKeyFile(path: path) }
    }

    /// No keys: nothing tagged, nothing checked.
    public static let unsigned = MessageSigning()

    /// `properties` with the tag of `body` for `purpose` added (unchanged without a key).
    public func tagged(_ properties: AMQPProperties, body: [UInt8], purpose: MessageKeyRing.Purpose) -> AMQPProperties {
        guard let file = file(for: purpose) else { return properties }
        var properties = properties
        properties.headers[Self.tagHeader] = .string(file.ring.tag(body, purpose: purpose))
        return properties
    }

    /// Throws why `delivery` is not vouched for by a key of `purpose`; passes everything when no
    /// key is configured for it.
    public func check(_ delivery: AMQPDelivery, purpose: MessageKeyRing.Purpose) throws(MessageRejection) {
        try check(body: delivery.body, headers: delivery.headers, purpose: purpose)
    }

    /// Throws why `body` with `headers` is not vouched for by a key of `purpose`.
    public func check(body: [UInt8], headers: AMQPTable, purpose: MessageKeyRing.Purpose) throws(MessageRejection) {
        guard let file = file(for: purpose) else { return }
        let tag = headers[Self.tagHeader]?.stringValue
        let keyID = tag?.split(separator: ".", maxSplits: 1).first ?? ""
        if let problem = file.ring(accepting: keyID).problem(with: tag, body: body, purpose: purpose) {
            throw MessageRejection(problem)
        }
    }

    func file(for purpose: MessageKeyRing.Purpose) -> MessageKeyFile? {
        switch purpose {
        case .work: work
        case .events: events
        }
    }
}
