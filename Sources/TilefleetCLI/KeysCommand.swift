import ArgumentParser
import FleetConfig
import Foundation
import Messaging

/// `tilefleet keys`: makes and rotates the key files that tag work items and events
/// (`signing:` in the fleet configuration). Every change is an atomic rewrite of a 0600 file, which
/// running processes take up by themselves; docs/operations.md has the rotation steps.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Make and rotate the key files that tag work items and events (signing: in the fleet configuration).",
        subcommands: [New.self, Add.self, Promote.self, Retire.self, List.self])

    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a new key file with one random key (refuses to overwrite).")
        @Argument(help: "The key file to create.") var file: String

        func run() throws {
            guard !FileManager.default.fileExists(atPath: file) else {
                throw ValidationError("\(file) exists; use 'tilefleet keys add' to rotate its key")
            }
            try KeysCommand.write([MessageKeyRing.newKey()], to: file)
            print("\(file): key \(try KeysCommand.ring(file).signingKeyID)")
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Step 1 of a rotation: add a new key that is accepted but does not sign yet.")
        @Argument(help: "The key file.") var file: String

        func run() throws {
            var lines = try KeysCommand.keyLines(file)
            lines.append(MessageKeyRing.newKey())
            try KeysCommand.write(lines, to: file)
            let ring = try KeysCommand.ring(file)
            print("\(file): added key \(ring.keyIDs.last ?? ""); key \(ring.signingKeyID) still signs. Copy the file to every host, then run 'tilefleet keys promote'.")
        }
    }

    struct Promote: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Step 2 of a rotation: the newest key signs; the others are still accepted.")
        @Argument(help: "The key file.") var file: String

        func run() throws {
            var lines = try KeysCommand.keyLines(file)
            guard lines.count >= 2 else { throw ValidationError("\(file) has one key; run 'tilefleet keys add' first") }
            lines.insert(lines.removeLast(), at: 0)
            try KeysCommand.write(lines, to: file)
            print("\(file): key \(try KeysCommand.ring(file).signingKeyID) signs. Copy the file to every host; once the longest lease has passed, run 'tilefleet keys retire'.")
        }
    }

    struct Retire: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Step 3 of a rotation: drop every key but the one that signs.")
        @Argument(help: "The key file.") var file: String

        func run() throws {
            let lines = try KeysCommand.keyLines(file)
            try KeysCommand.write(Array(lines.prefix(1)), to: file)
            print("\(file): only key \(try KeysCommand.ring(file).signingKeyID) is left (\(lines.count - 1) retired). Copy the file to every host.")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the ids of a key file's keys (never the keys).")
        @Argument(help: "The key file.") var file: String

        func run() throws {
            let ring = try KeysCommand.ring(file)
            for id in ring.keyIDs { print(id == ring.signingKeyID ? "\(id)  signs" : "\(id)  accepted") }
        }
    }

    /// The file's keys as it has them, checked (mode, syntax) by the same reader the roles use.
    static func keyLines(_ file: String) throws -> [String] {
        _ = try ring(file)
        let text = try FileAccess.loadText(file)
        return text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }

    static func ring(_ file: String) throws -> MessageKeyRing {
        do {
            return try MessageKeyFile(path: file).ring
        } catch {
            throw ValidationError(error.description)
        }
    }

    static func write(_ keys: [String], to file: String) throws {
        let text = "# tilefleet message keys: the first signs, all are accepted (tilefleet keys --help)\n" + keys.joined(separator: "\n") + "\n"
        do {
            try FileAccess.save(Data(text.utf8), to: file, mode: 0o600)
        } catch {
            throw ValidationError(error.description)
        }
    }
}
