import FleetModel
import Foundation
import HTTP
import Simulator
import Storage
import Testing
import TestSupport

/// The `tilefleet` executable: exit codes and messages of the coordinator's commands.
@Suite(.serialized) struct CommandLineTests {
    static var binary: String { TestEnvironment.tilefleetBinary }

    @Test func dryRunOfViennaPVPrintsSixTilesAndStoresNothing() throws {
        let (status, output) = try TestEnvironment.run([
            Self.binary, "submit", "--dry-run", "--offline", "--config", TaskFixtures.path("config/fleet.example.yaml"),
            TaskFixtures.path("config/tasks/vienna-pv.yaml"),
        ], environment: ["TILEFLEET_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"])
        #expect(status == 0, "\(output)")
        #expect(output.contains("6 cells, 6 jobs"))
        #expect(output.contains("\"idempotency_key\" : \"tilefleet:vienna-pv:"))
        #expect(output.contains("preflight skipped (--offline)"))
    }

    @Test func aBadSpecExitsWithStatusTwoNamingEveryProblem() throws {
        let spec = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).yaml")
        try Data("title: x\nbackend: cdsee\nservice: {process: p}\nsplit: {aoi: '16.1,48.0,16.7,48.3', grid: km20}\n".utf8).write(to: spec)
        defer { try? FileManager.default.removeItem(at: spec) }
        let (status, output) = try TestEnvironment.run([
            Self.binary, "submit", "--config", TaskFixtures.path("config/fleet.example.yaml"), spec.path,
        ])
        #expect(status == 2)
        #expect(output.contains("backend: unknown backend 'cdsee', did you mean 'cdse'?"))
        #expect(output.contains("split.grid: unknown grid 'km20', did you mean 'km:20'?"))
    }

    @Test func submitStoresDispatchesAndPrintsTheTaskID() async throws {
        let h = try await Harness.make(maxActive: 2)
        do {
            let config = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-\(UUID().uuidString).yaml")
            try Data("""
                topology: {prefix: \(h.topology.prefix)}
                backends:
                  - {name: sim, kind: openeo, url: "http://127.0.0.1:8080/openeo", max_active: 2}
                """.utf8).write(to: config)
            defer { try? FileManager.default.removeItem(at: config) }
            let spec = FileManager.default.temporaryDirectory.appendingPathComponent("task-\(UUID().uuidString).yaml")
            try Data(TaskFixtures.spec(id: "from-cli").utf8).write(to: spec)
            defer { try? FileManager.default.removeItem(at: spec) }
            let (status, output) = try TestEnvironment.run(
                [Self.binary, "submit", spec.path, "--offline", "--database-url", h.db.url.unredactedString],
                environment: ["TILEFLEET_CONFIG": config.path, "TILEFLEET_AMQP_URL": TestEnvironment.amqpURL])
            #expect(status == 0, "\(output)")
            #expect(output.split(separator: "\n").contains("from-cli"))
            #expect(try await h.count("SELECT count(*) FROM tiles WHERE task_id = 'from-cli' AND status = 'queued'") == 2)
            #expect(try await h.queuedMessages() == 2)

            let (again, message) = try TestEnvironment.run(
                [Self.binary, "submit", spec.path, "--offline", "--database-url", h.db.url.unredactedString],
                environment: ["TILEFLEET_CONFIG": config.path, "TILEFLEET_AMQP_URL": TestEnvironment.amqpURL])
            #expect(again == 2)
            #expect(message.contains("a task with id 'from-cli' already exists"))

            let (listed, table) = try TestEnvironment.run(
                [Self.binary, "status", "from-cli", "--format", "csv", "--database-url", h.db.url.unredactedString],
                environment: ["TILEFLEET_CONFIG": config.path])
            #expect(listed == 0)
            #expect(table.contains("from-cli,sim,active,0,"))
            #expect(table.contains("tiles/h,eta"))
        } catch {
            await h.tearDown()
            throw error
        }
        await h.tearDown()
    }

    /// `tilefleet tiles` with a fleet configuration of small limits (no services needed).
    func tiles(_ arguments: [String], limits: String = "{max_jobs: 2000, confirm_jobs: 100}") throws -> (Int32, String) {
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("limits-\(UUID().uuidString).yaml")
        try Data("limits: \(limits)\n".utf8).write(to: config)
        defer { try? FileManager.default.removeItem(at: config) }
        return try TestEnvironment.run([Self.binary, "tiles", "--config", config.path] + arguments)
    }

    @Test func areasAreReadAsTypedAndAnAreaWithoutTilesExitsTwo() throws {
        let (lisbon, table) = try tiles(["-9.5,38.6,-8.9,39.0", "--min-area", "0"])
        #expect(lisbon == 0, "\(table)")
        #expect(table.contains("EPSG:32629"))
        let (swapped, message) = try tiles(["16.7,48.0,16.1,48.3"])
        #expect(swapped == 2)
        #expect(message.contains("west 16.7 is east of east 16.1"), "\(message)")
        #expect(message.contains("--antimeridian"))
        let (crossing, notes) = try tiles(["--antimeridian", "179.5,-17.5,-179.5,-16.5"])
        #expect(crossing == 0, "\(notes)")
        #expect(notes.contains("note: the bbox crosses the antimeridian"))
        let (negative, refusal) = try tiles(["--min-area", "-1", "-9.5,38.6,-8.9,39.0"])
        #expect(negative == 2)
        #expect(refusal.contains("--min-area must be a number ≥ 0 (km²), not -1.0"), "\(refusal)")
        let (none, why) = try tiles(["16.1,48.0,16.7,48.3", "--grid", "crs:3413:20"])
        #expect(none == 2)
        #expect(why.contains("did you mean crs:3413:20000?"), "\(why)")
        let (missing, file) = try tiles(["VIENNA.GEOJSN"])
        #expect(missing == 2)
        #expect(file.contains("no such file: VIENNA.GEOJSN"), "\(file)")
        let (unwritable, reason) = try tiles(["4,50,4.2,50.2", "--out", "/nonexistent-dir/tiles.geojson"])
        #expect(unwritable == 2)
        #expect(reason.contains("--out /nonexistent-dir/tiles.geojson: cannot write: no such directory '/nonexistent-dir'"), "\(reason)")
        #expect(!reason.contains("NSCocoaErrorDomain"))
        let (_, escaped) = try tiles(["evil\u{1B}[31m.geojson"])
        #expect(escaped.contains("no such file: evil\\x1b[31m.geojson"), "\(escaped)")
        #expect(!escaped.unicodeScalars.contains { $0.value == 0x1B })
    }

    @Test func tilingStopsBeforeTheWorkAboveTheLimitAndAsksForYesBelowIt() throws {
        let (world, refusal) = try tiles(["-180,-80,180,84", "--grid", "km:1"])
        #expect(world == 2)
        #expect(refusal.contains("above the limit of 2,000 jobs (limits.max_jobs"), "\(refusal)")
        #expect(refusal.contains("use a larger grid (km:"), "\(refusal)")
        let (vienna, question) = try tiles(["16.1482,48.0326,16.7092,48.3081", "--grid", "km:2"])
        #expect(vienna == 2)
        #expect(question.contains("pass --yes"), "\(question)")
        let (confirmed, table) = try tiles(["16.1482,48.0326,16.7092,48.3081", "--grid", "km:2", "--yes"])
        #expect(confirmed == 0, "\(table)")
        let (windows, count) = try tiles(["16.1482,48.0326,16.7092,48.3081", "--windows", "months:1-9999"])
        #expect(windows == 2)
        #expect(count.contains("119,988 windows make 119,988 jobs for every cell"), "\(count)")
    }

    @Test func unknownIdsExitTwoAndASecondCancelSendsNothing() async throws {
        let h = try await Harness.make(maxActive: 2)
        do {
            try await h.submit(TaskFixtures.spec(id: "ids"))
            let dispatcher = try await h.dispatcher()
            _ = try await dispatcher.dispatch(backend: "sim", maxActive: 2)
            let config = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-\(UUID().uuidString).yaml")
            try Data("""
                topology: {prefix: \(h.topology.prefix)}
                backends:
                  - {name: sim, kind: openeo, url: "http://127.0.0.1:8080/openeo", max_active: 2}
                """.utf8).write(to: config)
            defer { try? FileManager.default.removeItem(at: config) }
            func run(_ arguments: [String]) throws -> (Int32, String) {
                try TestEnvironment.run([Self.binary] + arguments + ["--config", config.path, "--database-url", h.db.url.unredactedString],
                                        environment: ["TILEFLEET_AMQP_URL": TestEnvironment.amqpURL])
            }
            for command in [["report", "nope"], ["resume", "nope"], ["status", "nope"], ["cancel", "nope"], ["retry", "nope"], ["export", "nope", "--geojson", "-"]] {
                let (status, output) = try run(command)
                #expect(status == 2, "\(command): \(output)")
                #expect(output.contains("no task 'nope'"), "\(command): \(output)")
            }
            for command in ["cancel", "retry"] {
                let (status, output) = try run([command, "ids", "--tiles", "no-such-tile,other"])
                #expect(status == 2, "\(command): \(output)")
                #expect(output.contains("no such tiles in the task: no-such-tile, other"), "\(command): \(output)")
            }
            #expect(try await h.count("SELECT count(*) FROM tiles WHERE task_id = 'ids' AND status = 'canceled'") == 0)
            #expect(try await h.queuedMessages() == 2)

            let (stacked, choice) = try run(["report", "ids", "--format", "csv"])
            #expect(stacked == 2)
            #expect(choice.contains("--format csv prints one table: pick one with --table (progress, backends, failures, slowest_tiles, trouble, jobs_may_run)"), "\(choice)")
            let (csvStatus, csv) = try run(["report", "ids", "--format", "csv", "--table", "progress"])
            #expect(csvStatus == 0, "\(csv)")
            let lines = csv.split(separator: "\n")
            #expect(lines.count == 2 && lines[0].hasPrefix("task_id,title,backend,tiles,"), "\(csv)")
            #expect(lines[1].split(separator: ",", omittingEmptySubsequences: false).count == lines[0].split(separator: ",").count, "\(csv)")
            let (jsonStatus, json) = try run(["report", "ids", "--format", "json"])
            #expect(jsonStatus == 0, "\(json)")
            let report = try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))
            if case .object(let members) = report { #expect(Set(members.keys) == ["progress", "backends", "failures", "slowest_tiles", "trouble", "jobs_may_run"]) }
            let tiles = try await h.count("SELECT count(*) FROM tiles WHERE task_id = 'ids'")
            #expect(report["progress"]?.arrayValue?.first?["tiles"] == .number(Double(tiles)), "\(json)")
            #expect(report["progress"]?.arrayValue?.first?["queued"] == .number(2), "\(json)")

            let (first, canceled) = try run(["cancel", "ids"])
            #expect(first == 0, "\(canceled)")
            #expect(canceled.contains("sent 2 cancel items"), "\(canceled)")
            #expect(try await h.queuedMessages() == 4)
            let (second, again) = try run(["cancel", "ids"])
            #expect(second == 0, "\(again)")
            #expect(again.contains("task ids is already canceled: nothing sent (2 tiles are still stopping"), "\(again)")
            #expect(try await h.queuedMessages() == 4)
        } catch {
            await h.tearDown()
            throw error
        }
        await h.tearDown()
    }

    @Test func submitRefusesATypoAndAsksForYesBeforeStoringAnything() async throws {
        let h = try await Harness.make(maxActive: 2)
        do {
            let config = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-\(UUID().uuidString).yaml")
            try Data("""
                topology: {prefix: \(h.topology.prefix)}
                limits: {max_jobs: 5000, confirm_jobs: 100}
                backends:
                  - {name: sim, kind: openeo, url: "http://127.0.0.1:8080/openeo", max_active: 2}
                """.utf8).write(to: config)
            defer { try? FileManager.default.removeItem(at: config) }
            func submit(_ id: String, _ split: String, _ extra: [String] = []) throws -> (Int32, String) {
                let spec = FileManager.default.temporaryDirectory.appendingPathComponent("\(id)-\(UUID().uuidString).yaml")
                try Data("id: \(id)\ntitle: t\nbackend: sim\nservice: {process: p}\nsplit: \(split)\n".utf8).write(to: spec)
                defer { try? FileManager.default.removeItem(at: spec) }
                return try TestEnvironment.run([Self.binary, "submit", "--offline", spec.path, "--config", config.path, "--database-url", h.db.url.unredactedString] + extra,
                                               environment: ["TILEFLEET_AMQP_URL": TestEnvironment.amqpURL])
            }
            let (typo, swapped) = try submit("typo", "{aoi: '16.7,48.0,16.1,48.3'}")
            #expect(typo == 2)
            #expect(swapped.contains("west 16.7 is east of east 16.1"), "\(swapped)")
            let (many, question) = try submit("many", "{aoi: '16.1482,48.0326,16.7092,48.3081', grid: 'km:2'}")
            #expect(many == 2)
            #expect(question.contains("pass --yes"), "\(question)")
            let (none, why) = try submit("none", "{aoi: '16.0,48.0,16.00001,48.00001'}")
            #expect(none == 2)
            #expect(why.contains("no tiles: the only piece is below min_area"), "\(why)")
            #expect(try await h.count("SELECT count(*) FROM tasks") == 0)
            let (confirmed, output) = try submit("many", "{aoi: '16.1482,48.0326,16.7092,48.3081', grid: 'km:2'}", ["--yes"])
            #expect(confirmed == 0, "\(output)")
            #expect(try await h.count("SELECT count(*) FROM tiles WHERE task_id = 'many'") > 100)
        } catch {
            await h.tearDown()
            throw error
        }
        await h.tearDown()
    }

    @Test func budgetRaisesATasksCapStatusShowsItAndABadOneExitsTwo() async throws {
        let h = try await Harness.make(maxActive: 10)
        do {
            _ = try await h.submit(TaskFixtures.spec(id: "capped-cli") + "\nbudget: 15")
            #expect(try await h.dispatcher().dispatch(backend: "sim", maxActive: 10).total == 1)
            let probe = try #require(try await h.takeWorkItems(1).first)
            var finished = StatusEvent(task: "capped-cli", tile: probe.tile, attempt: 1, status: .finished, backend: "sim", time: Date())
            finished.costs = 10
            try await EventStore(connection: h.db.connection).apply([finished])
            let database = ["--database-url", h.db.url.unredactedString]
            let (_, paused) = try TestEnvironment.run([Self.binary, "status", "capped-cli", "--format", "json"] + database)
            let row = try #require(try JSONDecoder().decode([String: [[String: JSONValue]]].self, from: Data(paused.utf8))["tasks"]?.first)
            #expect(row["status"]?.stringValue == "paused", "\(paused)")
            #expect(row["credits"]?.numberValue == 10)
            #expect(row["budget"]?.numberValue == 15)

            for bad in ["0", "-5", "lots"] {
                let (status, output) = try TestEnvironment.run([Self.binary, "budget", "capped-cli", bad] + database)
                #expect(status == 2, "\(bad): \(output)")
                #expect(output.contains("CREDITS must be a positive number of credits, got '\(bad)'"), "\(output)")
            }
            let (unknown, message) = try TestEnvironment.run([Self.binary, "budget", "no-such-task", "100"] + database)
            #expect(unknown == 2)
            #expect(message.contains("no task 'no-such-task'"))
            #expect(try await h.count("SELECT count(*) FROM tasks WHERE budget = 15") == 1)

            let (status, output) = try TestEnvironment.run([Self.binary, "budget", "capped-cli", "45"] + database)
            #expect(status == 0, "\(output)")
            #expect(output.contains("task capped-cli: budget 45 credits, 10 spent"))
            let (_, resumed) = try TestEnvironment.run([Self.binary, "status", "capped-cli", "--format", "json"] + database)
            #expect(try JSONDecoder().decode([String: [[String: JSONValue]]].self, from: Data(resumed.utf8))["tasks"]?.first?["status"]?.stringValue == "active")
            // 10 spent at 10 a tile: three more fit within 45.
            #expect(try await h.dispatcher().dispatch(backend: "sim", maxActive: 10).total == 3)
        } catch {
            await h.tearDown()
            throw error
        }
        await h.tearDown()
    }

    @Test func loginPrintsTheCodeStoresTheTokenAndLogoutRemovesIt() async throws {
        var configuration = SimulatorConfiguration()
        configuration.rotateRefreshTokens = true
        try await withLoopbackServer(SimulatorServer { PlatformSimulator(configuration: configuration).register(on: $0) }) { client, origin in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("login-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let tokens = directory.appendingPathComponent("tokens/refresh-tokens.json").path
            let fleet = directory.appendingPathComponent("fleet.yaml").path
            try Data("""
                backends:
                  - {name: sim, kind: openeo, url: "\(origin)/openeo", auth: {method: oidc_device, refresh_token_file: \(tokens)}}
                  - {name: plain, kind: openeo, url: "\(origin)/openeo", auth: {method: basic, username: tilefleet, password_env: SIM_PASSWORD}}
                """.utf8).write(to: URL(fileURLWithPath: fleet))
            let (wrongMethod, why) = try await TestEnvironment.runOnThread([Self.binary, "login", "plain", "--config", fleet])
            #expect(wrongMethod == 2)
            #expect(why.contains("backend plain does not log in with the device flow: give it auth: {method: oidc_device, refresh_token_file: …}"), "\(why)")
            let (unknown, _) = try await TestEnvironment.runOnThread([Self.binary, "login", "nope", "--config", fleet])
            #expect(unknown == 2)

            let log = directory.appendingPathComponent("login.log").path
            let pid = try TestEnvironment.spawn([Self.binary, "login", "sim", "--config", fleet], logPath: log)
            var userCode: String?
            for _ in 0..<200 where userCode == nil {
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                if let range = text.range(of: "and enter the code ") {
                    userCode = text[range.upperBound...].split(separator: "\n").first.map(String.init)
                } else {
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            let code = try #require(userCode)
            let printed = try String(contentsOfFile: log, encoding: .utf8)
            #expect(printed.contains("open \(origin)/oidc/verify "))
            #expect(printed.contains("or open \(origin)/oidc/verify?user_code=\(code)"))
            var approve = HTTPClient.Request(origin + "/oidc/verify", method: .post, headers: ["Content-Type": "application/x-www-form-urlencoded"])
            approve.body = Data("user_code=\(code)&action=approve".utf8)
            #expect(try await client.execute(approve).status == 200)
            var status: Int32?
            for _ in 0..<400 where status == nil {
                status = TestEnvironment.exitStatusIfEnded(pid)
                if status == nil { try await Task.sleep(for: .milliseconds(50)) }
            }
            if status == nil { TestEnvironment.stop(pid) }
            let output = try String(contentsOfFile: log, encoding: .utf8)
            #expect(status == 0, "\(output)")
            #expect(output.contains("logged in to sim (client tilefleet-public at \(origin)/oidc); the refresh token is in \(tokens) (mode 0600)"))
            let stored = try String(contentsOfFile: tokens, encoding: .utf8)
            let document = try JSONDecoder().decode([String: [String: [String: String]]].self, from: Data(stored.utf8))
            let refresh = try #require(document[origin + "/oidc"]?["tilefleet-public"]?["refresh_token"])
            #expect(!output.contains(refresh), "the refresh token is never printed")

            let (out, message) = try await TestEnvironment.runOnThread([Self.binary, "logout", "sim", "--config", fleet])
            #expect(out == 0, "\(message)")
            #expect(message.contains("logged out of sim"))
            #expect(!(try String(contentsOfFile: tokens, encoding: .utf8)).contains(refresh))
        }
    }

    @Test func aMalformedBrokerURLIsExitTwoNamingIt() throws {
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-\(UUID().uuidString).yaml")
        try Data("backends:\n  - {name: sim, kind: openeo, url: 'http://127.0.0.1:1/openeo'}\n".utf8).write(to: config)
        defer { try? FileManager.default.removeItem(at: config) }
        let (status, output) = try TestEnvironment.run([
            Self.binary, "worker", "--no-metrics", "--config", config.path, "--amqp-url", "http://127.0.0.1:5673/",
        ])
        #expect(status == 2, "\(output)")
        #expect(output.contains("broker URL: "), "\(output)")
    }

    @Test func checkNamesAnUnreachableBrokerAndDatabaseWithTheirFixes() throws {
        let (status, output) = try TestEnvironment.run([
            Self.binary, "check", "--config", TaskFixtures.path("config/fleet.example.yaml"), "--backend", "hpgc",
            "--amqp-url", "amqp://guest:guest@127.0.0.1:1/%2F", "--database-url", "postgresql://nobody@127.0.0.1:1/none",
        ])
        #expect(status == 1, "\(output)")
        #expect(output.contains("ok       configuration"), "\(output)")
        #expect(output.contains("PROBLEM  broker"), "\(output)")
        #expect(output.contains("fix: start RabbitMQ"), "\(output)")
        #expect(output.contains("PROBLEM  database"), "\(output)")
        #expect(output.contains("fix: start PostgreSQL"), "\(output)")
        #expect(!output.contains("guest:guest"), "no password in the output: \(output)")
    }

    /// The preflight against the bundled simulator's openEO API: a process graph that reads
    /// `bbox` while the task fills `spatial_extent` is refused before the database is touched
    /// (its URL leads nowhere), with every problem named; named right, `--dry-run` prints the job
    /// with the tile in the graph, as it will be sent.
    @Test func thePreflightRefusesAMisnamedTileParameterAndDryRunPrintsTheResolvedGraph() async throws {
        try await withPreflightDirectory { directory, origin in
            try Data("""
                backends:
                  - {name: sim, kind: openeo, url: "\(origin)/openeo", auth: {method: basic, username: tilefleet, password_env: SIM_PASSWORD}}
                """.utf8).write(to: directory.appendingPathComponent("fleet.yaml"))
            try Self.graph(extentFrom: "bbox").write(to: directory.appendingPathComponent("graph.json"))
            let task = directory.appendingPathComponent("task.yaml").path
            try Data("""
                id: misnamed
                title: misnamed
                backend: sim
                service: {process_graph: graph.json}
                parameters: {bandz: [B04]}
                split: {aoi: "16.1,48.0,16.3,48.1", grid: km:20}
                """.utf8).write(to: URL(fileURLWithPath: task))
            let environment = Self.preflightEnvironment(directory)
            let (refused, problems) = try await TestEnvironment.runOnThread([Self.binary, "submit", task], environment: environment)
            #expect(refused == 2, "\(problems)")
            #expect(problems.contains("task.yaml: tile.parameter: the process graph has no parameter 'spatial_extent': the tile would not reach the job (its parameters: bbox)"), "\(problems)")
            #expect(problems.contains("task.yaml: parameters.bandz: the process graph has no parameter 'bandz'"), "\(problems)")
            #expect(problems.contains("task.yaml: parameters: the process graph requires 'bbox'"), "\(problems)")

            try Data("""
                id: named-right
                title: named right
                backend: sim
                service: {process_graph: graph.json}
                tile: {parameter: bbox}
                split: {aoi: "16.1,48.0,16.3,48.1", grid: km:20}
                """.utf8).write(to: URL(fileURLWithPath: task))
            let (status, output) = try await TestEnvironment.runOnThread([Self.binary, "submit", "--dry-run", task], environment: environment)
            #expect(status == 0, "\(output)")
            #expect(output.contains("POST \(origin)/openeo/jobs"), "\(output)")
            #expect(!output.contains("from_parameter"), "the graph is printed resolved: \(output)")
            #expect(output.contains("\"type\" : \"Polygon\""), "\(output)")
            #expect(output.contains("preflight: the process graph on sim takes this task"), "\(output)")
        }
    }

    /// A task over two backends is checked against each, with each backend's own service: the
    /// second backend's `service` override reads `bbox` while the task fills `spatial_extent`, so
    /// `submit` is refused naming the problem on that backend (before the database is touched), and
    /// the first backend passes its own check.
    @Test func thePreflightChecksEveryBackendOfATaskWithItsOwnService() async throws {
        try await withPreflightDirectory { directory, origin in
            try Data("""
                backends:
                  - {name: sim, kind: openeo, url: "\(origin)/openeo", auth: {method: basic, username: tilefleet, password_env: SIM_PASSWORD}}
                  - {name: alt, kind: openeo, url: "\(origin)/openeo", auth: {method: basic, username: tilefleet, password_env: SIM_PASSWORD}}
                """.utf8).write(to: directory.appendingPathComponent("fleet.yaml"))
            for (file, parameter) in [("good.json", "spatial_extent"), ("bad.json", "bbox")] {
                try Self.graph(extentFrom: parameter).write(to: directory.appendingPathComponent(file))
            }
            let task = directory.appendingPathComponent("task.yaml").path
            try Data("""
                id: two-services
                title: two services
                backends:
                  - sim
                  - {name: alt, service: {process_graph: bad.json}}
                service: {process_graph: good.json}
                split: {aoi: "16.1,48.0,16.3,48.1", grid: km:20}
                """.utf8).write(to: URL(fileURLWithPath: task))
            let environment = Self.preflightEnvironment(directory)
            let (refused, problems) = try await TestEnvironment.runOnThread([Self.binary, "submit", task], environment: environment)
            #expect(refused == 2, "\(problems)")
            #expect(problems.contains("preflight: the process graph on sim takes this task"), "\(problems)")
            #expect(problems.contains("task.yaml: tile.parameter: the process graph has no parameter 'spatial_extent': the tile would not reach the job (its parameters: bbox) (on backend alt)"), "\(problems)")
        }
    }

    /// A process graph that loads a collection over the extent the task fills into `parameter`.
    private static func graph(extentFrom parameter: String) -> Data {
        Data("""
            {"process_graph": {
              "load": {"process_id": "load_collection", "arguments": {"id": "S2", "spatial_extent": {"from_parameter": "\(parameter)"}}},
              "save": {"process_id": "save_result", "arguments": {"data": {"from_node": "load"}, "format": "GTiff"}, "result": true}}}
            """.utf8)
    }

    /// A preflight test's `submit`: the fleet file in `directory`, the simulator's password, and a
    /// database URL that leads nowhere (the preflight refuses before any connection).
    private static func preflightEnvironment(_ directory: URL) -> [String: String] {
        ["TILEFLEET_CONFIG": directory.appendingPathComponent("fleet.yaml").path, "SIM_PASSWORD": "tilefleet",
         "TILEFLEET_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"]
    }

    /// A simulator on loopback and a fresh directory for a preflight test's files, removed after.
    private func withPreflightDirectory(_ body: (URL, String) async throws -> Void) async throws {
        try await withLoopbackServer(SimulatorServer { PlatformSimulator(configuration: .init()).register(on: $0) }) { _, origin in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("preflight-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            try await body(directory, origin)
        }
    }
}
