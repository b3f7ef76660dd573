@testable import FleetConfig
import Testing

/// `signing:`: key files by path, relative ones from the configuration file's directory.
@Suite struct SigningConfigurationTests {
    @Test func noSectionMeansNoKeys() throws {
        let configuration = try ConfigReaderTests.parse("coordinator: {interval: 5s}")
        #expect(configuration.signing == SigningConfiguration())
    }

    @Test func relativePathsAreTakenFromTheConfigurationsDirectory() throws {
        let configuration = try FleetConfiguration.parse(
            yaml: "signing: {work_key_file: keys/work.key, event_key_file: /etc/tilefleet/events.key}",
            file: "/srv/fleet/tilefleet.yaml", environment: [:], gridCheck: { _ in nil })
        #expect(configuration.signing == SigningConfiguration(workKeyFile: "/srv/fleet/keys/work.key", eventKeyFile: "/etc/tilefleet/events.key"))
    }

    @Test func problemsNameTheKey() {
        let problems = ConfigReaderTests.problems("signing: {work_key_file: '', work_key: abc}")
        #expect(Set(problems.map(\.path)) == ["signing.work_key_file", "signing.work_key"])
    }
}
