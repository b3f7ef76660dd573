/// The exchanges, queues and bindings a connection declared, in order, with the channel each was
/// made on: what is redeclared after a reconnect. Deleting an exchange or queue forgets its
/// declaration and every binding that refers to it; unbinding forgets that binding.
struct TopologyRecord: Equatable {
    struct Entry: Equatable {
        var channel: UInt16
        var operation: ChannelOperation
    }

    private(set) var entries: [Entry] = []

    /// Keeps what the successful `operation` on `channel` changed; other operations are ignored.
    mutating func apply(_ operation: ChannelOperation, on channel: UInt16) {
        switch operation {
        case .declareExchange, .declareQueue, .bindQueue:
            if !entries.contains(where: { $0.operation == operation }) {
                entries.append(Entry(channel: channel, operation: operation))
            }
        case .deleteExchange(let name, _):
            entries.removeAll { entry in
                switch entry.operation {
                case .declareExchange(let declared, _, _, _, _, _): declared == name
                case .bindQueue(_, let exchange, _, _): exchange == name
                default: false
                }
            }
        case .deleteQueue(let name, _, _):
            entries.removeAll { entry in
                switch entry.operation {
                case .declareQueue(let declared, _, _, _, _): declared == name
                case .bindQueue(let queue, _, _, _): queue == name
                default: false
                }
            }
        case .unbindQueue(let queue, let exchange, let routingKey, let arguments):
            let binding = ChannelOperation.bindQueue(queue: queue, exchange: exchange, routingKey: routingKey, arguments: arguments)
            entries.removeAll { $0.operation == binding }
        case .purgeQueue, .qos, .confirmSelect, .consume, .cancel, .close:
            break
        }
    }
}
