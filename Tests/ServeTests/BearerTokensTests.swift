import FleetConfig
import Serve
import Testing

@Suite struct BearerTokensTests {
    @Test func aBearerHeaderNamesTheUserWhoseTokenItCarries() {
        let tokens = BearerTokens(tokens: ["alice": "a-secret", "bob": "b-secret"])
        #expect(tokens.user(authorization: "Bearer a-secret") == "alice")
        #expect(tokens.user(authorization: "bearer b-secret") == "bob")
        #expect(tokens.user(authorization: "Bearer a-secre") == nil)
        #expect(tokens.user(authorization: "Bearer a-secret2") == nil)
        #expect(tokens.user(authorization: "Basic a-secret") == nil)
        #expect(tokens.user(authorization: "a-secret") == nil)
        #expect(tokens.user(authorization: nil) == nil)
    }

    @Test func tokensAreResolvedFromTheirReferencesAndAMissingOneNamesTheUserAndVariable() throws {
        let users = [ServeConfiguration.User(name: "alice", token: .environment("ALICE_TOKEN"))]
        let tokens = try BearerTokens(users, environment: ["ALICE_TOKEN": "from-env"])
        #expect(tokens.user(authorization: "Bearer from-env") == "alice")
        do {
            _ = try BearerTokens(users, environment: [:])
            Issue.record("an unset variable must be an error")
        } catch {
            #expect("\(error)" == "serve.users[0] (alice): environment variable ALICE_TOKEN is not set")
        }
    }
}
