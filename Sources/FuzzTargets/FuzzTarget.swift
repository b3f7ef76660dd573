import Coordinator
import FleetConfig
import FleetModel
import Foundation
import Geo
import Messaging

/// The readers of untrusted input that `make fuzz` runs under libFuzzer, and that the regression
/// test replays over the corpus in `Tests/Fuzz/`: one entry point per reader, taking arbitrary
/// bytes. Each must return (accepting or refusing the input with an error), never crash or hang.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// A work item as a worker takes it from the queue.
    case workItem = "work-item"
    /// What the recorder takes from its queue: events, heartbeats, ticks.
    case recorderMessage = "recorder-message"
    /// `tilefleet.yaml`.
    case fleetConfig = "fleet-config"
    /// A task spec (YAML or JSON) against the example fleet configuration.
    case taskSpec = "task-spec"
    /// An area of interest: GeoJSON, WKT or a bounding box.
    case aoi
    /// A message key file.
    case keyFile = "key-file"

    /// Feeds `bytes` to the reader. `fleet` is the configuration task specs are read against;
    /// `base` the directory their relative paths start from.
    public func run(_ bytes: [UInt8], fleet: FleetConfiguration, base: String) {
        let text = String(decoding: bytes, as: UTF8.self)
        switch self {
        case .workItem:
            _ = try? WorkItem.decode(bytes)
        case .recorderMessage:
            _ = try? RecorderMessage.decode(bytes)
        case .fleetConfig:
            _ = try? FleetConfiguration.parse(yaml: text, file: "fuzz.yaml", environment: [:])
        case .taskSpec:
            _ = try? TaskSpecParser(configuration: fleet, baseDirectory: base).parse(text, file: "fuzz.yaml")
        case .aoi:
            _ = try? AOIParser().parse(data: Data(bytes))
        case .keyFile:
            _ = try? MessageKeyRing(parsing: text, source: "fuzz")
        }
    }
}
