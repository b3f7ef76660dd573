import ArgumentParser

struct BenchAMQP: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "amqp", abstract: "Placeholder.")
    func run() async throws {}
}
