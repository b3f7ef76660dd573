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

/// `topology.declared_by`: who declares the exchanges and queues.
@Suite struct TopologyDeclarerTests {
    @Test func everyRoleByDefaultAndCoordinatorWhenAsked() throws {
        #expect(try ConfigReaderTests.parse("topology: {prefix: a}").topology.declaredBy == .everyRole)
        #expect(try ConfigReaderTests.parse("topology: {declared_by: coordinator}").topology.declaredBy == .coordinator)
    }

    @Test func anUnknownValueIsNamed() {
        let problems = ConfigReaderTests.problems("topology: {declared_by: admin}")
        #expect(problems.map(\.path) == ["topology.declared_by"])
        #expect(problems.first?.message.contains("expected one of: every_role, coordinator") == true)
    }
}

/// `broker.url` may list a cluster's nodes.
@Suite struct BrokerURLListTests {
    @Test func aListAndACommaStringGiveTheSameURLsEachWithThePassword() throws {
        let environment = ["AMQP_PASSWORD": "s3cret"]
        let list = try FleetConfiguration.parse(yaml: "broker: {url: ['amqp://fleet@a:5672/v', 'amqp://fleet@b:5672/v'], password_env: AMQP_PASSWORD}",
                                                file: "f.yaml", environment: environment, gridCheck: { _ in nil })
        let commas = try FleetConfiguration.parse(yaml: "broker: {url: 'amqp://fleet@a:5672/v,amqp://fleet@b:5672/v', password_env: AMQP_PASSWORD}",
                                                  file: "f.yaml", environment: environment, gridCheck: { _ in nil })
        #expect(list.brokerURL == "amqp://fleet:s3cret@a:5672/v,amqp://fleet:s3cret@b:5672/v")
        #expect(commas.brokerURL == list.brokerURL)
    }

    @Test func anEmptyListIsAProblem() {
        #expect(ConfigReaderTests.problems("broker: {url: []}").map(\.path) == ["broker.url"])
    }
}
