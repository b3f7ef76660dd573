// Placeholder until the Simulator wrapper lands.
public enum SimulatorModule {}
