import Backends
import Coordinator
import FleetConfig
import Foundation
import Geo
import TestSupport
import Testing

struct TaskSpecTests {
    @Test func theExampleFleetConfigurationLoads() throws {
        let configuration = try TaskFixtures.exampleConfiguration()
        #expect(configuration.backends.backends.map(\.name) == ["cdse", "hpgc", "wekeo", "sim"])
        #expect(configuration.topology.prefix == "tilefleet")
        #expect(configuration.defaults.backend == "sim")
        #expect(configuration.defaults.maxRuntimeSeconds == 6 * 3600)
        #expect(configuration.resolvedDatabaseURL(flag: nil, environment: ["TILEFLEET_DATABASE_URL": "postgresql://env/db"]) == "postgresql://env/db")
        #expect(configuration.resolvedDatabaseURL(flag: "postgresql://flag/db", environment: ["TILEFLEET_DATABASE_URL": "postgresql://env/db"]) == "postgresql://flag/db")
        #expect(configuration.resolvedBrokerURL(flag: nil, environment: [:]) == "amqp://guest@127.0.0.1:5673/%2F")
    }

    @Test func fleetConfigurationErrorsNameTheFileAndTheKey() {
        do {
            _ = try FleetConfiguration.parse(yaml: """
                broker:
                  uri: amqp://x
                defaults:
                  grid: km20
                  max_attempts: 0
                backends: []
                """, file: "fleet.yaml", environment: [:])
            Issue.record("accepted a bad configuration")
        } catch {
            let text = error.description
            #expect(text.contains("fleet.yaml: broker.uri: unknown key 'uri', did you mean 'url'?"))
            #expect(text.contains("fleet.yaml: defaults.grid: unknown grid 'km20', did you mean 'km:20'?"))
            #expect(text.contains("fleet.yaml: defaults.max_attempts: must be at least 1"))
        }
    }

    @Test func viennaPVDryRunGivesSixTiles() throws {
        let configuration = try TaskFixtures.exampleConfiguration()
        let spec = try TaskSpecParser(configuration: configuration).load(path: TaskFixtures.path("config/tasks/vienna-pv.yaml"))
        #expect(spec.id == "vienna-pv")
        #expect(spec.backend == "cdse")
        #expect(spec.process == .named(id: "eurac_pv_farm_detection", namespace: spec.serviceSource))
        #expect(spec.outputFormat == "GTiff")
        let plan = try TaskPlan(spec: spec)
        #expect(plan.records.count == 6)
        #expect(Set(plan.records.map(\.tileID)).count == 6)
        let first = plan.records[0]
        #expect(first.parameters["temporal_extent"] != nil)
        #expect(first.parameters["spatial_extent"]?["type"]?.stringValue == "Polygon")
        let job = spec.backendJob(tileID: first.tileID, tileParameters: first.parameters)
        #expect(job.arguments["spatial_extent"] != nil)
        #expect(job.outputFormat == "GTiff")
    }

    @Test func everyShippedTaskExampleIsValid() throws {
        let configuration = try TaskFixtures.exampleConfiguration()
        let directory = TaskFixtures.path("config/tasks")
        for name in try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        where name.hasSuffix(".yaml") || name.hasSuffix("apex.json") {
            let spec = try TaskSpecParser(configuration: configuration).load(path: directory + "/" + name)
            let plan = try TaskPlan(spec: spec)
            #expect(!plan.records.isEmpty, "\(name)")
        }
    }

    @Test func anAPExUpscaleTaskIsAcceptedAsItIs() throws {
        let configuration = try TaskFixtures.exampleConfiguration()
        let spec = try TaskSpecParser(configuration: configuration).load(path: TaskFixtures.path("config/tasks/vienna-pv-apex.json"))
        #expect(spec.title == "Upscaling - PV Detection")
        #expect(spec.backend == "cdse")   // matched by the endpoint's host
        #expect(spec.process == .named(id: "eurac_pv_farm_detection", namespace: spec.serviceSource))
        #expect(spec.outputFormat == "gtiff")
        #expect(spec.parameters["temporal_extent"] == .array([.string("2023-05-01"), .string("2023-09-30")]))
        let plan = try TaskPlan(spec: spec)
        #expect(plan.records.count == 2)   // one job per geometry of the dimension
    }

    static let badSpecs: [(String, String)] = [
        ("title: x\nbackend: sim\nservice: {process: p}\nsplit: {aoi: '4,50,4.2,50.2', grid: km20}", "split.grid: unknown grid 'km20', did you mean 'km:20'?"),
        ("tittle: x\nbackend: sim\nservice: {process: p}\nsplit: {aoi: '4,50,4.2,50.2'}", "tittle: unknown key 'tittle', did you mean 'title'?"),
        ("title: x\nbackend: simm\nservice: {process: p}\nsplit: {aoi: '4,50,4.2,50.2'}", "backend: unknown backend 'simm', did you mean 'sim'?"),
        ("title: x\nservice: {process: p}", "split: is required"),
        ("title: x\nservice: {process: p}\nsplit: {aoi: '4,50,4.2,50.2', windows: 2023-13-01/2023-14-01}", "split.windows: invalid time window"),
        ("title: x\nservice: {process: p}\nsplit: {aoi: '4,50,4.2,95'}", "split.aoi: "),
        ("title: x\nservice: {process: p}\nsplit: {aoi: missing.geojson}", "split.aoi: no such file: missing.geojson"),
        ("title: x\nservice: {process: p, udp: 'https://x/y.json'}\nsplit: {aoi: '4,50,4.2,50.2'}", "service: give only one of"),
        ("title: x\nservice: {process: p}\nparameters: {api_token: abc}\nsplit: {aoi: '4,50,4.2,50.2'}", "parameters.api_token: looks like a secret"),
        ("title: x\nservice: {process: p}\nmax_attempts: 0\nsplit: {aoi: '4,50,4.2,50.2'}", "max_attempts: must be at least 1"),
        ("title: x\nservice: {process: p}\nmax_runtime: soon\nsplit: {aoi: '4,50,4.2,50.2'}", "max_runtime: expected a duration"),
        ("title: x\nservice: {process: p}\ntile: {input: box}\nsplit: {aoi: '4,50,4.2,50.2'}", "tile.input: unknown tile input 'box', did you mean 'bbox'?"),
        ("id: Has.Dots\ntitle: x\nservice: {process: p}\nsplit: {aoi: '4,50,4.2,50.2'}", "id: 'Has.Dots' must be"),
        ("[1, 2]", "a task spec must be a mapping"),
        ("{\"title\": \"t\", \"label\": \"openeo\", \"service\": {\"endpoint\": \"https://nowhere.example\", \"application\": \"https://x/u.json\"}, \"dimension\": {\"name\": \"spatial_extent\", \"values\": [{\"type\": \"Point\"}]}}",
         "dimension.values[0]: expected a GeoJSON geometry"),
    ]

    @Test(arguments: badSpecs.indices)
    func aBadSpecGivesItsClearError(_ index: Int) throws {
        let (text, expected) = Self.badSpecs[index]
        let parser = TaskSpecParser(configuration: try TaskFixtures.configuration())
        do {
            _ = try parser.parse(text, file: "bad.yaml")
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.description.contains("bad.yaml: " + expected), "\(error.description)")
        }
    }

    @Test func everyProblemIsReportedAtOnce() throws {
        let parser = TaskSpecParser(configuration: try TaskFixtures.configuration())
        do {
            _ = try parser.parse("""
                title: x
                backend: nope
                colour: blue
                service: {process: p}
                split: {aoi: '4,50,4.2,50.2', grid: 20km, windows: yesterday}
                max_attempts: -1
                """, file: "t.yaml")
            Issue.record("accepted")
        } catch {
            let paths = error.problems.map(\.path)
            #expect(Set(paths) == ["backend", "colour", "split.grid", "split.windows", "max_attempts"], "\(error)")
            #expect(error.description.contains("split.grid: unknown grid '20km', did you mean 'km:20'?"))
        }
    }

    @Test func aKeyGivenTwiceIsRefusedInsteadOfTheLastOneWinning() throws {
        let parser = TaskSpecParser(configuration: try TaskFixtures.configuration())
        do {
            _ = try parser.parse("""
                title: x
                backend: sim
                service: {process: p}
                split: {aoi: '4,50,4.2,50.2', grid: 'km:20'}
                backend: other
                """, file: "twice.yaml")
            Issue.record("a spec with 'backend' twice was accepted")
        } catch {
            #expect(error.problems.map(\.path) == ["backend"], "\(error)")
            #expect(error.description.contains("twice.yaml: backend: given twice (first on line 2); remove one (line 5)"), "\(error)")
        }
    }
}
