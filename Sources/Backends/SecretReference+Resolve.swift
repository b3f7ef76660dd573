import FleetConfig
import Foundation

extension SecretReference {
    /// Reads the secret. Errors name the variable or file, never the value.
    public func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Secret {
        switch self {
        case .environment(let name):
            guard let value = environment[name], !value.isEmpty else {
                throw BackendError.configuration(message: "environment variable \(name) is not set")
            }
            return Secret(value)
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw BackendError.configuration(message: "secret file \(path) cannot be read")
            }
            let value = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
            guard !value.isEmpty else {
                throw BackendError.configuration(message: "secret file \(path) is empty")
            }
            return Secret(value)
        }
    }
}
