import FleetConfig
import Testing

/// `kind: command` backends: their `command:` settings, and the mistakes named with their key.
@Suite struct CommandSettingsTests {
    @Test func aCommandBackendReadsItsSettingsAndGetsAFileURL() throws {
        let backend = try BackendsConfiguration.parse(yaml: """
            backends:
              - name: local
                kind: command
                max_active: 8
                command:
                  work_dir: /var/lib/tilefleet/jobs/
                  output_dir: /srv/results
                  max_per_host: 3
                  timeout: 90m
                  limits: { cpu_time: 1h, memory: 2GiB }
                  supervisor: /usr/local/bin/tilefleet
            """).backend(named: "local")
        #expect(backend.kind == .command)
        #expect(backend.url == "file:///var/lib/tilefleet/jobs")
        #expect(backend.maxActive == 8)
        #expect(backend.command == CommandSettings(workDirectory: "/var/lib/tilefleet/jobs", outputDirectory: "/srv/results", maxPerHost: 3,
                                                   timeout: .seconds(5400), cpuTime: .seconds(3600), memoryBytes: 2 << 30,
                                                   supervisor: "/usr/local/bin/tilefleet"))
    }

    @Test func defaultsAreTwoPerHostAnHourAndNoLimits() throws {
        let settings = try #require(try BackendsConfiguration.parse(yaml: "backends:\n  - {name: l, kind: command, command: {work_dir: /tmp/j}}\n")
            .backend(named: "l").command)
        #expect(settings == CommandSettings(workDirectory: "/tmp/j"))
        #expect(settings.maxPerHost == 2 && settings.timeout == .seconds(3600) && settings.cpuTime == nil && settings.memoryBytes == nil)
    }

    @Test func mistakesAreNamedWithTheirKey() {
        #expect(problem("backends:\n  - {name: l, kind: command}\n")?.path == "backends[0].command")
        #expect(problem("backends:\n  - {name: l, kind: command, command: {}}\n")?.path == "backends[0].command.work_dir")
        #expect(problem("backends:\n  - {name: l, kind: command, command: {work_dir: jobs}}\n")?.message.contains("absolute") == true)
        #expect(problem("backends:\n  - {name: l, kind: command, url: 'https://x', command: {work_dir: /j}}\n")?.path == "backends[0].url")
        #expect(problem("backends:\n  - {name: l, kind: command, command: {work_dir: /j, limits: {memory: lots}}}\n")?.path
            == "backends[0].command.limits.memory")
        #expect(problem("backends:\n  - {name: l, kind: command, command: {work_dir: /j, limits: {cpu_time: 500ms}}}\n")?.path
            == "backends[0].command.limits.cpu_time")
        #expect(problem("backends:\n  - {name: l, kind: command, command: {work_dir: /j, max_per_host: 0}}\n")?.path
            == "backends[0].command.max_per_host")
        #expect(problem("backends:\n  - {name: l, kind: command, command: {work_dir: /j, wrok: 1}}\n")?.path == "backends[0].command.wrok")
        #expect(problem("backends:\n  - {name: l, kind: command, auth: {method: none}, command: {work_dir: /j}}\n")?.path == "backends[0].auth")
        #expect(problem("backends:\n  - {name: o, kind: ogc, url: 'https://x', command: {work_dir: /j}}\n")?.path == "backends[0].command")
    }

    @Test func sizesReadBinaryUnits() {
        #expect(CommandSettings.parseBytes("512MiB") == 512 << 20)
        #expect(CommandSettings.parseBytes("2G") == 2 << 30)
        #expect(CommandSettings.parseBytes("1.5GiB") == 3 << 29)
        #expect(CommandSettings.parseBytes("4096") == 4096)
        #expect(CommandSettings.parseBytes("-1M") == nil)
        #expect(CommandSettings.parseBytes("much") == nil)
        #expect(CommandSettings.parseBytes("") == nil)
    }

    private func problem(_ yaml: String) -> ConfigurationProblem? {
        do {
            _ = try BackendsConfiguration.parse(yaml: yaml)
            return nil
        } catch {
            return error.problems.first
        }
    }
}
