@testable import Coordinator
import FleetModel
import Foundation
import TestSupport
import Testing

struct MultiBackendSpecTests {
    static let area = "split: {aoi: '4,50,4.2,50.2'}"

    @Test func aTaskOverSeveralBackendsKeepsTheirOrderWeightsAndOverrides() throws {
        let parser = TaskSpecParser(configuration: try TaskFixtures.exampleConfiguration())
        let spec = try parser.parse("""
            title: x
            service: {udp: https://example.org/udp/ndvi.json}
            job_options: {driver-memory: 2g, executor-memory: 4g}
            backends:
              - name: cdse
                weight: 3
              - name: sim
                weight: 1
                service: {udp: https://example.org/udp/ndvi-sim.json}
                job_options: {executor-memory: 8g}
            retry_elsewhere: true
            \(Self.area)
            """)
        #expect(spec.backend == "cdse")
        #expect(spec.backendNames == ["cdse", "sim"])
        #expect(spec.backends?.map(\.weight) == [3, 1])
        #expect(spec.retryElsewhere == true)
        let onCDSE = spec.backendJob(tileID: "t1", tileParameters: [:], backend: "cdse")
        let onSim = spec.backendJob(tileID: "t1", tileParameters: [:], backend: "sim")
        #expect(onCDSE.process == .named(id: "ndvi", namespace: "https://example.org/udp/ndvi.json"))
        #expect(onSim.process == .named(id: "ndvi-sim", namespace: "https://example.org/udp/ndvi-sim.json"))
        #expect(onCDSE.options == ["driver-memory": .string("2g"), "executor-memory": .string("4g")])
        #expect(onSim.options == ["driver-memory": .string("2g"), "executor-memory": .string("8g")])
        // Stored and read back (tasks.spec), the choices survive.
        let stored = try JSONDecoder().decode(TaskSpec.self, from: JSONEncoder().encode(spec))
        #expect(stored == spec)
    }

    @Test func aListOfNamesGoesByPreferenceAndOneBackendStaysAsToday() throws {
        let parser = TaskSpecParser(configuration: try TaskFixtures.exampleConfiguration())
        let listed = try parser.parse("title: x\nservice: {process: p}\nbackends: [sim, cdse]\n\(Self.area)")
        #expect(listed.backendNames == ["sim", "cdse"])
        #expect(listed.backends?.allSatisfy { $0.weight == nil } == true)
        let single = try parser.parse("title: x\nservice: {process: p}\nbackend: cdse\n\(Self.area)")
        #expect(single.backends == nil)
        #expect(single.backendNames == ["cdse"])
        #expect(single.retryElsewhere == nil)
        // A spec stored before `backends` existed decodes as a task on its one backend.
        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(single)) as! [String: Any]
        json.removeValue(forKey: "backends")
        let old = try JSONDecoder().decode(TaskSpec.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(old.backendNames == ["cdse"])
    }

    static let badSpecs: [(String, String)] = [
        ("title: x\nservice: {process: p}\nbackend: sim\nbackends: [sim, cdse]\n\(area)", "backends: give either backend (one) or backends (several), not both"),
        ("title: x\nservice: {process: p}\nbackends: [sim, cdsee]\n\(area)", "backends[1]: unknown backend 'cdsee', did you mean 'cdse'?"),
        ("title: x\nservice: {process: p}\nbackends: [{name: sim, wieght: 2}]\n\(area)", "backends[0].wieght: unknown key 'wieght', did you mean 'weight'?"),
        ("title: x\nservice: {process: p}\nbackends: [{name: sim, weight: 2}, cdse]\n\(area)", "backends: give a weight to every backend or to none"),
        ("title: x\nservice: {process: p}\nbackends: [{name: sim, weight: 0}, {name: cdse, weight: 1}]\n\(area)", "backends[0].weight:"),
        ("title: x\nservice: {process: p}\nbackends: [sim, sim]\n\(area)", "backends: 'sim' is listed more than once"),
        ("title: x\nservice: {process: p}\nbackends: []\n\(area)", "backends: expected a list of backend names"),
        ("title: x\nservice: {process: p}\nretry_elsewhere: true\n\(area)", "retry_elsewhere: sends a tile's next attempt to another of the task's backends"),
        ("title: x\nservice: {process: p}\nbackends: [sim, {name: cdse, service: {udp: ftp://x}}]\n\(area)", "backends[1].service.udp: expected the http(s) URL"),
        ("title: x\nservice: {process: p}\nbackends: [sim, {name: cdse, job_options: {token: abc}}]\n\(area)", "backends[1].job_options.token:"),
        ("title: x\nservice: {process: p}\nbackends: [sim, local]\n\(area)", "service: the command backend 'local' runs programs: give service.command"),
    ]

    @Test(arguments: badSpecs.indices)
    func aBadBackendListGivesItsClearError(_ index: Int) throws {
        let (text, expected) = Self.badSpecs[index]
        let parser = TaskSpecParser(configuration: try TaskFixtures.exampleConfiguration())
        do {
            _ = try parser.parse(text, file: "bad.yaml")
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.description.contains("bad.yaml: " + expected), "\(error.description)")
        }
    }
}
