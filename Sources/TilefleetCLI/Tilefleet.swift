import ArgumentParser

/// The `tilefleet` command: subcommands are added by each role.
public struct Tilefleet: AsyncParsableCommand {
    public static let version = "0.1.0"

    public static let configuration = CommandConfiguration(
        commandName: "tilefleet",
        abstract: "Upscale an Earth-observation processing service over tiles with a RabbitMQ worker fleet.",
        version: version,
        subcommands: [
            CheckCommand.self, MigrateCommand.self, RecorderCommand.self, ReportCommand.self, TilesCommand.self,
            SimulateCommand.self, TryCommand.self, WorkerCommand.self,
            SubmitCommand.self, CoordinatorCommand.self, StatusCommand.self, ListCommand.self, WatchCommand.self,
            CancelCommand.self, RetryCommand.self, ResumeCommand.self, ResultsCommand.self, LogsCommand.self, ExportCommand.self,
            KeysCommand.self,
            ServeCommand.self,
            UndeployCommand.self, CommandJobCommand.self,
            BudgetCommand.self, EstimateCommand.self, LoginCommand.self, LogoutCommand.self,
        ]
    )

    public init() {}
}
