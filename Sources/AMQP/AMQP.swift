// Placeholder until the AMQP wrapper lands.
public enum AMQPModule {}
