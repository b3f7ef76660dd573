import FleetConfig
import Foundation

extension FleetConfiguration {
    /// ``FleetConfiguration/load(explicit:environment:gridCheck:)`` with the tiler's grid check.
    public static func load(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(ConfigurationError) -> FleetConfiguration {
        try load(explicit: explicit, environment: environment, gridCheck: TaskSpecParser.gridProblem)
    }

    /// ``FleetConfiguration/parse(yaml:file:environment:gridCheck:)`` with the tiler's grid check.
    public static func parse(yaml: String, file: String, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(ConfigurationError) -> FleetConfiguration {
        try parse(yaml: yaml, file: file, environment: environment, gridCheck: TaskSpecParser.gridProblem)
    }
}
