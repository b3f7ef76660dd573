@preconcurrency import CRabbitMQ

/// AMQP 0-9-1 method numbers (`class << 16 | method`) the connection thread sends or handles.
/// Spelled out because librabbitmq defines them as cast macros.
enum AMQPMethodID {
    static func make(_ classID: UInt32, _ methodID: UInt32) -> amqp_method_number_t { classID << 16 | methodID }

    static let connectionClose = make(10, 50)
    static let connectionCloseOK = make(10, 51)
    static let connectionBlocked = make(10, 60)
    static let connectionUnblocked = make(10, 61)
    static let channelOpen = make(20, 10)
    static let channelOpenOK = make(20, 11)
    static let channelFlow = make(20, 20)
    static let channelFlowOK = make(20, 21)
    static let channelClose = make(20, 40)
    static let channelCloseOK = make(20, 41)
    static let exchangeDeclare = make(40, 10)
    static let exchangeDeclareOK = make(40, 11)
    static let exchangeDelete = make(40, 20)
    static let exchangeDeleteOK = make(40, 21)
    static let queueDeclare = make(50, 10)
    static let queueDeclareOK = make(50, 11)
    static let queueBind = make(50, 20)
    static let queueBindOK = make(50, 21)
    static let queuePurge = make(50, 30)
    static let queuePurgeOK = make(50, 31)
    static let queueDelete = make(50, 40)
    static let queueDeleteOK = make(50, 41)
    static let queueUnbind = make(50, 50)
    static let queueUnbindOK = make(50, 51)
    static let basicQos = make(60, 10)
    static let basicQosOK = make(60, 11)
    static let basicConsume = make(60, 20)
    static let basicConsumeOK = make(60, 21)
    static let basicCancel = make(60, 30)
    static let basicCancelOK = make(60, 31)
    static let basicReturn = make(60, 50)
    static let basicDeliver = make(60, 60)
    static let basicAck = make(60, 80)
    static let basicNack = make(60, 120)
    static let confirmSelect = make(85, 10)
    static let confirmSelectOK = make(85, 11)
}
