import ArgumentParser

struct BenchTiles: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tiles", abstract: "Placeholder.")
    func run() async throws {}
}
