import Hummingbird

/// The request context of every ``SimulatorServer`` route: Hummingbird's core context plus the
/// client's address, so routes can tell connections apart (e.g. to check keep-alive reuse).
public struct SimulatorRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer's `address:port`, or `nil` if unknown.
    public let remoteAddress: String?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress.map { "\($0)" }
    }
}
