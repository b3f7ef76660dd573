import Coordinator
import FleetModel
import Foundation
import Testing
import TestSupport

/// `service.deploy` in task specs: the package travels with the task; mistakes are named.
@Suite struct DeploySpecTests {
    static func parse(_ text: String) throws -> TaskSpec {
        var parser = TaskSpecParser(configuration: try TaskFixtures.exampleConfiguration())
        parser.baseDirectory = TaskFixtures.path("config/tasks")
        return try parser.parse(text, file: "t.yaml")
    }

    static func problem(_ text: String) -> String? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func theShippedExampleCarriesItsPackage() throws {
        let spec = try TaskSpecParser(configuration: try TaskFixtures.exampleConfiguration())
            .load(path: TaskFixtures.path("config/tasks/hpgc-bandmath-deploy.yaml"))
        let package = try #require(spec.deploy)
        #expect(package.processID == "BandMath")
        #expect(package.contentType == "application/ogcapppkg+json")
        #expect(package.source == "bandmath.ogcapppkg.json")
        #expect(package.isSame(as: try String(contentsOfFile: TaskFixtures.path("config/tasks/bandmath.ogcapppkg.json"), encoding: .utf8)))
        #expect(spec.process == .named(id: "BandMath", namespace: nil))
        // It survives the round trip through tasks.spec.
        let stored = try JSONDecoder().decode(TaskSpec.self, from: JSONEncoder().encode(spec))
        #expect(stored.deploy == package)
    }

    @Test func mistakesAreNamedWithTheKey() {
        let area = "split: {aoi: '-9.5,38.6,-8.9,39.0', grid: mgrs}"
        #expect(Self.problem("title: x\nbackend: hpgc\nservice: {process: Other, deploy: bandmath.ogcapppkg.json}\n\(area)")?
            .contains("service.deploy: 'bandmath.ogcapppkg.json' deploys the process 'BandMath', but service.process is 'Other'") == true)
        #expect(Self.problem("title: x\nbackend: cdse\nservice: {process: BandMath, deploy: bandmath.ogcapppkg.json}\n\(area)")?
            .contains("service.deploy: deploying a package is OGC API – Processes Part 2; 'cdse' is openeo") == true)
        #expect(Self.problem("title: x\nbackend: hpgc\nservice: {process: BandMath, deploy: missing.json}\n\(area)")?
            .contains("service.deploy: cannot read 'missing.json'") == true)
        #expect(Self.problem("title: x\nbackend: hpgc\nservice: {process: BandMath, deploy: ogc-water-bodies.yaml}\n\(area)") == nil,
                "a YAML file is taken as CWL")
        #expect(Self.problem("title: x\nbackend: hpgc\nservice: {process: BandMath, deploy: ndvi-graph.json}\n\(area)")?
            .contains("is not an OGC application package") == true)
        #expect(Self.problem("title: x\nbackend: hpgc\nservice: {udp: 'https://x/y.json', deploy: bandmath.ogcapppkg.json}\n\(area)")?
            .contains("service.deploy: deploys the OGC process named by service.process") == true)
    }
}
