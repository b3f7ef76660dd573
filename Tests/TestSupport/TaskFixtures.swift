import Backends
import Coordinator
import FleetConfig
import Foundation

/// Shared configuration and task specs for the coordinator tests.
public enum TaskFixtures {
    public static let projectRoot = TestEnvironment.projectRoot

    public static func path(_ relative: String) -> String { projectRoot.appendingPathComponent(relative).path }

    /// The shipped example configuration.
    public static func exampleConfiguration() throws -> FleetConfiguration {
        try FleetConfiguration.load(explicit: path("config/fleet.example.yaml"), environment: [:])
    }

    /// A configuration with one backend `sim` limited to `maxActive` and a test topology prefix.
    public static func configuration(maxActive: Int = 5, prefix: String = "test-\(UUID().uuidString.prefix(8))") throws -> FleetConfiguration {
        try FleetConfiguration.parse(yaml: """
            topology:
              prefix: \(prefix)
            defaults:
              backend: sim
            backends:
              - name: sim
                kind: openeo
                url: http://127.0.0.1:8080/openeo
                max_active: \(maxActive)
            """, file: "test.yaml", environment: [:])
    }

    /// A task spec over `tiles` km:10 cells of an area in Belgium (simple, fast to tile).
    public static func spec(id: String, columns: Int = 4, rows: Int = 3, priority: Int = 0) -> String {
        // km:10 cells in UTM 31N around 4°E 50.5°N; about 0.14° by 0.09° per cell.
        let west = 4.0, south = 50.3
        let east = west + Double(columns) * 0.138, north = south + Double(rows) * 0.0895
        return """
            id: \(id)
            title: Test task \(id)
            backend: sim
            service:
              process: test-process
            split:
              aoi: "\(west),\(south),\(east),\(north)"
              grid: km:10
            max_attempts: 3
            priority: \(priority)
            """
    }
}
