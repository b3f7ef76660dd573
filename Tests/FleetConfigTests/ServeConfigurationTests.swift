import FleetConfig
import Testing

@Suite struct ServeConfigurationTests {
    static func parse(_ yaml: String) throws(ConfigurationError) -> FleetConfiguration {
        try FleetConfiguration.parse(yaml: yaml, file: "fleet.yaml", environment: [:], gridCheck: { _ in nil })
    }

    @Test func usersReferToTheirTokensByVariableOrFile() throws {
        let serve = try Self.parse("""
            serve:
              users:
                - { name: alice, token_env: ALICE_TOKEN }
                - { name: bob, token_file: /run/secrets/bob }
              base_map: https://tile.example.org/{z}/{x}/{y}.png
            """).serve
        #expect(serve.users == [
            ServeConfiguration.User(name: "alice", token: .environment("ALICE_TOKEN")),
            ServeConfiguration.User(name: "bob", token: .file("/run/secrets/bob")),
        ])
        #expect(serve.baseMap == "https://tile.example.org/{z}/{x}/{y}.png")
        #expect(try Self.parse("coordinator: {interval: 2s}\n").serve == ServeConfiguration())
    }

    @Test func aTokenWrittenInTheFileBothReferencesADuplicateUserAndABadBaseMapAreNamed() {
        do {
            _ = try Self.parse("""
                serve:
                  users:
                    - { name: alice, token: hunter2 }
                    - { name: bob, token_env: B, token_file: /b }
                    - { name: carol }
                    - { name: dave, token_env: D }
                    - { name: dave, token_env: D2 }
                  base_map: tiles.example.org
                """)
            Issue.record("a bad serve section was accepted")
        } catch {
            #expect(error.problems.map(\.path) == [
                "serve.base_map", "serve.users[0].token", "serve.users[0].token_env", "serve.users[1].token_file",
                "serve.users[2].token_env", "serve.users[4].name",
            ])
            #expect(!error.description.contains("hunter2"))
        }
    }
}
