import ArgumentParser

struct BenchHTTP: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "http", abstract: "Placeholder.")
    func run() async throws {}
}
