@testable import Backends
import FleetConfig
import Foundation
import Testing

/// Secrets are read from where the configuration points, and errors name the source, never the value.
@Suite struct SecretReferenceTests {
    @Test func secretResolutionNamesTheVariableNotTheValue() throws {
        #expect(try SecretReference.environment("PW").resolve(environment: ["PW": "v"]).value == "v")
        let error = #expect(throws: (any Error).self) { try SecretReference.environment("MISSING").resolve(environment: [:]) }
        if let error {
            #expect("\(error)".contains("MISSING"))
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tilefleet-secret-\(UUID())")
        try "from-file\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(try SecretReference.file(file.path).resolve().value == "from-file")
    }
}
