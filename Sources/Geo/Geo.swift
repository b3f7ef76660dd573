// Placeholder until the Geo wrapper lands.
public enum GeoModule {}
