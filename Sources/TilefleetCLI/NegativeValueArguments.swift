import ArgumentParser
import Foundation

/// Lets values that start with '-' through as typed: ArgumentParser reads every such token as an
/// option, so `tilefleet tiles -9.5,38.6,-8.9,39.0` (every bbox west of Greenwich) and
/// `--min-area -1` would fail with "Missing expected argument" / "Missing value".
///
/// Before parsing, a token that starts with '-' and a digit or '.' (never an option name) is
/// joined to the option before it when that option takes a value (`--min-area=-1`), and otherwise
/// moved behind a `--` terminator with every positional argument after it, in order, so it is
/// read as the positional argument it is. Which options take values comes from the commands' own
/// definitions (ArgumentParser's JSON dump of them), so flags are never given a value.
enum NegativeValueArguments {
    /// One command as ArgumentParser describes it: its name, arguments and subcommands.
    struct Shape: Decodable {
        struct Argument: Decodable {
            struct Name: Decodable {
                var kind: String
                var name: String
            }
            var kind: String
            var names: [Name]?
        }
        var commandName: String
        var subcommands: [Shape]?
        var arguments: [Argument]?

        /// `--name` / `-n` spellings of the options that take a value.
        var valueOptions: Set<String> {
            var result = Set<String>()
            for argument in arguments ?? [] where argument.kind == "option" {
                for name in argument.names ?? [] {
                    result.insert((name.kind == "long" ? "--" : "-") + name.name)
                }
            }
            return result
        }
    }

    private struct Dump: Decodable {
        var command: Shape
    }

    /// The shape of `command` and its subcommands.
    static func shape(of command: any ParsableCommand.Type) -> Shape? {
        try? JSONDecoder().decode(Dump.self, from: Data(command._dumpHelp().utf8)).command
    }

    /// Whether `token` is a value starting with '-' (a negative number or a bbox), not an option.
    static func isNegativeValue(_ token: String) -> Bool {
        guard token.hasPrefix("-"), let second = token.dropFirst().first else { return false }
        return second.isNumber || (second == "." && token.dropFirst(2).first?.isNumber == true)
    }

    /// `arguments` (without the program name) rewritten so negative values parse as typed.
    static func normalized(_ arguments: [String], shape: Shape?) -> [String] {
        guard var command = shape, arguments.contains(where: isNegativeValue) else { return arguments }
        var output: [String] = []
        var moved: [String] = []
        var awaitingValue = false
        var seenPositional = false
        var index = 0
        while index < arguments.count {
            let token = arguments[index]
            index += 1
            if token == "--" {
                return output + ["--"] + moved + arguments[index...]
            }
            if awaitingValue {
                awaitingValue = false
                if isNegativeValue(token) { output[output.count - 1] += "=" + token } else { output.append(token) }
                continue
            }
            if isNegativeValue(token) {
                moved.append(token)
            } else if token.hasPrefix("-"), token != "-" {
                let name = String(token.prefix { $0 != "=" })
                awaitingValue = !token.contains("=") && command.valueOptions.contains(name)
                output.append(token)
            } else if !seenPositional, let sub = command.subcommands?.first(where: { $0.commandName == token }) {
                command = sub
                output.append(token)
            } else {
                seenPositional = true
                if moved.isEmpty { output.append(token) } else { moved.append(token) }
            }
        }
        return moved.isEmpty ? output : output + ["--"] + moved
    }
}
