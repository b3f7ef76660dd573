// Placeholder until the HTTP wrapper lands.
public enum HTTPModule {}
