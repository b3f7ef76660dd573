import Backends
@testable import Coordinator
import FleetConfig
import Foundation
import Geo
import TestSupport
import Testing

struct TaskSpecTests {
    @Test func theExampleFleetConfigurationLoads() throws {
        let configuration = try TaskFixtures.exampleConfiguration()
        #expect(configuration.backends.backends.map(\.name) == ["cdse", "hpgc", "wekeo", "sim", "local"])
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
        ("title: x\nservice: {process: p}\nparameters: {api_token: abc}\nsplit: {aoi: '4,50,4.2,50.2'}", "parameters.api_token: the key 'api_token' names a secret; secrets are never stored with a task"),
        ("title: x\nservice: {process: p}\nmax_attempts: 0\nsplit: {aoi: '4,50,4.2,50.2'}", "max_attempts: must be at least 1"),
        ("title: x\nservice: {process: p}\nmax_runtime: soon\nsplit: {aoi: '4,50,4.2,50.2'}", "max_runtime: expected a duration"),
        ("title: x\nservice: {process: p}\ntile: {input: box}\nsplit: {aoi: '4,50,4.2,50.2'}", "tile.input: unknown tile input 'box', did you mean 'bbox'?"),
        ("id: Has.Dots\ntitle: x\nservice: {process: p}\nsplit: {aoi: '4,50,4.2,50.2'}", "id: 'Has.Dots' must be"),
        ("[1, 2]", "a task spec must be a mapping"),
        ("title: x\nservice: {process: p}\nparameters: {options: {auth: {Authorization: 'Bearer abc.def'}}}\nsplit: {aoi: '4,50,4.2,50.2'}",
         "parameters.options.auth.Authorization: the key 'Authorization' names a secret"),
        ("title: x\nservice: {process: p}\nparameters: {headers: [{name: X-Auth, value: 'Bearer abc'}]}\nsplit: {aoi: '4,50,4.2,50.2'}",
         "parameters.headers[0].value: the value looks like an Authorization header"),
        ("title: x\nservice: {process: p}\njob_options: {extra: {deep: [eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln]}}\nsplit: {aoi: '4,50,4.2,50.2'}",
         "job_options.extra.deep[0]: the value looks like a JSON Web Token"),
        ("title: x\nservice: {process: p}\nparameters: {source: 'https://user:hunter2@data.example/x'}\nsplit: {aoi: '4,50,4.2,50.2'}",
         "parameters.source: the value looks like a URL with a password"),
        ("title: x\nservice: {process: p}\nsplit: {aoi: '4,50,4.2,50.2', dimensions: {key: [ghp_abcdefghijklmnopqrstuvwxyz0123]}}",
         "split.dimensions.key[0]: the value looks like an access key"),
        (#"{"title": "t", "label": "openeo", "service": {"endpoint": "http://127.0.0.1:8080/openeo", "application": "https://x/u.json"}, "parameters": {"spatial_extent": {"west": 4, "south": 50, "east": 4.2, "north": 50.2}}, "dimension": {"name": "spatial_extnt", "values": [1]}}"#,
         "dimension.name: unknown dimension 'spatial_extnt', did you mean 'spatial_extent'?"),
        (#"{"title": "t", "label": "openeo", "service": {"endpoint": "https://nowhere.example", "application": "https://x/u.json"}, "dimension": {"name": "spatial_extent", "values": [{"west": 4, "south": 50, "east": 4.2, "north": 50.2}]}}"#,
         "service.endpoint: no configured backend has the url https://nowhere.example"),
        ("title: x\nservice: {process: p}\nsplit: {aoi: '16.7,48.0,16.1,48.3'}", "split.aoi: feature 0: bbox: west 16.7 is east of east 16.1"),
        ("title: x\nservice: {process: p}\nsplit: {aoi: VIENNA.GEOJSN}", "split.aoi: no such file: VIENNA.GEOJSN"),
        ("title: x\nservice: {process: p}\nbudget: 0\nsplit: {aoi: '4,50,4.2,50.2'}", "budget: must be a positive number of credits, got 0"),
        ("title: x\nservice: {process: p}\nbudget: -15.5\nsplit: {aoi: '4,50,4.2,50.2'}", "budget: must be a positive number of credits, got -15.5"),
        ("title: x\nservice: {process: p}\nbudget: lots\nsplit: {aoi: '4,50,4.2,50.2'}", "budget: expected a number"),
        ("title: x\nservice: {process: p}\nsplit: {aoi: '4,50,4.2,50.2', windows: 'months:1-99999'}",
         "split.windows: invalid time window: 'months:1-99999': years are 1…9999"),
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

    @Test func aBudgetIsKeptWithTheSpec() throws {
        let parser = TaskSpecParser(configuration: try TaskFixtures.configuration())
        let spec = try parser.parse("title: x\nservice: {process: p}\nbudget: 1500\nsplit: {aoi: '4,50,4.2,50.2'}")
        #expect(spec.budget == 1500)
        #expect(try parser.parse("title: x\nservice: {process: p}\nsplit: {aoi: '4,50,4.2,50.2'}").budget == nil)
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

    @Test func westOfEastAcrossTheAntimeridianOnlyWhenTheSpecSaysSo() throws {
        let parser = TaskSpecParser(configuration: try TaskFixtures.configuration())
        let spec = try parser.parse("title: x\nservice: {process: p}\nsplit: {aoi: '179.5,-17.5,-179.5,-16.5', antimeridian: true}", file: "t.yaml")
        #expect(spec.split.antimeridian == true)
        let plan = try TaskPlan(spec: spec)
        #expect(plan.notes == ["the bbox crosses the antimeridian: 1° of longitude from 179.5 east to -179.5"])
        #expect(Set(plan.tiling.tiles.map(\.epsg)) == [32760, 32701])
        // A stored spec from before the option decodes as without it.
        let old = try JSONDecoder().decode(TaskSpec.Split.self, from: Data(#"{"aoi":"1,1,2,2","aoiSource":"inline","grid":"km:20","dimensions":[],"minAreaKm2":0.01}"#.utf8))
        #expect(old.antimeridian == nil)
    }

    @Test func aPlanCountsItsJobsBeforeMakingThem() throws {
        let parser = TaskSpecParser(configuration: try TaskFixtures.configuration())
        let spec = try parser.parse("""
            title: x
            service: {process: p}
            split: {aoi: '16.1482,48.0326,16.7092,48.3081', grid: 'km:2', windows: 'seasons:2016-2023'}
            """, file: "t.yaml")
        let limits = JobLimits(maxJobs: 100_000, confirmJobs: 1_000)
        do {
            _ = try TaskPlan(spec: spec, limits: limits)
            Issue.record("more jobs than confirm_jobs without --yes")
        } catch let error as GeoValidationError {
            #expect("\(error)".contains("× 32 jobs per cell"), "\(error)")
            #expect("\(error)".contains("pass --yes"), "\(error)")
        }
        let plan = try TaskPlan(spec: spec, limits: limits, confirmed: true)
        #expect(plan.records.count == plan.tiling.tiles.count * 32)
        #expect(plan.records.count > 1_000)
        do {
            _ = try TaskPlan(spec: spec, limits: JobLimits(maxJobs: 1_000, confirmJobs: 1_000), confirmed: true)
            Issue.record("more jobs than max_jobs")
        } catch let error as GeoValidationError {
            #expect("\(error)".contains("above the limit of 1,000 jobs (limits.max_jobs"), "\(error)")
            #expect("\(error)".contains("use a larger grid (km:"), "\(error)")
        }
    }

    @Test func anAreaWithoutTilesIsRefused() throws {
        let parser = TaskSpecParser(configuration: try TaskFixtures.configuration())
        let spec = try parser.parse("title: x\nservice: {process: p}\nsplit: {aoi: '16.1,48.0,16.7,48.3', grid: 'crs:3413:20'}", file: "t.yaml")
        #expect(throws: GeoValidationError.self) { try TaskPlan(spec: spec) }
    }

    @Test func apexDimensionsOverGivenParametersAndAnExplicitBackendStillWork() throws {
        let parser = TaskSpecParser(configuration: try TaskFixtures.configuration())
        let spec = try parser.parse(#"""
            {"title": "t", "label": "openeo", "backend": "sim",
             "service": {"endpoint": "https://nowhere.example", "application": "https://x/u.json"},
             "parameters": {"spatial_extent": {"west": 4, "south": 50, "east": 4.2, "north": 50.2}, "year": 2020},
             "dimension": {"name": "year", "values": [2020, 2021]}}
            """#, file: "apex.json")
        #expect(spec.backend == "sim")
        #expect(spec.split.dimensions.map(\.name) == ["year"])
        #expect(try TaskPlan(spec: spec).records.count == 2)
    }

    @Test func anAPExServiceNamespaceNamesTheProcessesNamespace() throws {
        let parser = TaskSpecParser(configuration: try TaskFixtures.configuration())
        let spec = try parser.parse(#"""
            {"title": "t", "label": "openeo", "backend": "sim",
             "service": {"endpoint": "https://nowhere.example", "application": "https://x/ndvi.json", "namespace": "u:someone"},
             "dimension": {"name": "spatial_extent", "values": [{"west": 4, "south": 50, "east": 4.2, "north": 50.2}]}}
            """#, file: "apex.json")
        #expect(spec.process == .named(id: "ndvi", namespace: "u:someone"))
    }

    @Test func ordinaryValuesAreNotTakenForSecrets() {
        for text in ["SENTINEL2_L2A", "https://data.example/x.tif", "Basically fine", "eyJ-not-a-token", "2023-05-01"] {
            #expect(TaskSpecParser.looksLikeSecret(text) == nil, "\(text)")
        }
    }

    @Test func windowsBeyondTheLimitAreRefusedBeforeTheyAreMade() throws {
        var configuration = try TaskFixtures.configuration()
        configuration.limits = JobLimits(maxJobs: 100_000, confirmJobs: 10_000)
        do {
            _ = try TaskSpecParser(configuration: configuration).parse(
                "title: x\nservice: {process: p}\nsplit: {aoi: '4,50,4.2,50.2', windows: 'months:1-9999'}", file: "w.yaml")
            Issue.record("accepted 119,988 windows with max_jobs 100,000")
        } catch {
            #expect(error.description.contains("w.yaml: split.windows: 'months:1-9999' gives 119,988 windows, each at least one job: above limits.max_jobs (100,000)"),
                    "\(error.description)")
        }
    }
}
