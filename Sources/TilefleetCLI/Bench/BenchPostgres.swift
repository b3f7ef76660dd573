import ArgumentParser

struct BenchPostgres: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "postgres", abstract: "Placeholder.")
    func run() async throws {}
}
