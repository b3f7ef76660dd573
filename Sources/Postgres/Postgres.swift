// Placeholder until the Postgres wrapper lands.
public enum PostgresModule {}
