import ArgumentParser
import FleetConfig
import Messaging

extension MessageSigning {
    /// Reads the key files that `signing:` names; an unreadable or unsafe file is a usage error
    /// (exit 2) naming the file.
    init(_ configuration: SigningConfiguration) throws {
        do {
            try self.init(workKeyFile: configuration.workKeyFile, eventKeyFile: configuration.eventKeyFile)
        } catch {
            throw ValidationError("signing: \(error.description)")
        }
    }
}
