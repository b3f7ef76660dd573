import ArgumentParser
import Foundation
import TilefleetCLI

/// The executable's entry point: everything else lives in TilefleetCLI.
///
/// Exit codes: 0 ok, 1 runtime failure, 2 usage or validation error (ArgumentParser's own
/// usage code, 64, is folded into 2 so every command speaks the same way).
@main
enum TilefleetMain {
    static func main() async {
        do {
            var command = try Tilefleet.parseAsRoot(Tilefleet.arguments())
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = Tilefleet.exitCode(for: error)
            let message = Tilefleet.fullMessage(for: error)
            if !message.isEmpty {
                let stream = code == .success ? FileHandle.standardOutput : FileHandle.standardError
                stream.write(Data((message.hasSuffix("\n") ? message : message + "\n").utf8))
            }
            exit(code.rawValue == 64 ? 2 : code.rawValue)
        }
    }
}
