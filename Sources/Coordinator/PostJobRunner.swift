import ChildProcess
import Foundation
import Postgres
import Storage

/// Runs a task's `post_job` command once for each finished tile attempt, with the tile's assets in
/// its environment: `TILEFLEET_TASK`, `TILEFLEET_TILE`, `TILEFLEET_ATTEMPT`, `TILEFLEET_ASSETS`
/// (a JSON array of `{href, type, roles, title, size}`). A run is claimed by inserting its
/// `post_jobs` row, so several coordinators never run it twice; the exit code and the tail of the
/// output are recorded there, so a failure is never lost.
public struct PostJobRunner: Sendable {
    public let connection: PostgresConnection
    /// Seconds after which a command is killed and recorded as failed.
    public var timeoutSeconds: Int
    public var runner: String

    public init(connection: PostgresConnection, timeoutSeconds: Int = 3600,
                runner: String = ProcessInfo.processInfo.hostName + ":" + String(ProcessInfo.processInfo.processIdentifier)) {
        self.connection = connection
        self.timeoutSeconds = timeoutSeconds
        self.runner = runner
    }

    /// One finished run.
    public struct Run: Sendable, Hashable {
        public var task: String
        public var tile: String
        public var attempt: Int
        public var exitCode: Int32
        public var output: String
    }

    /// Claims up to `limit` finished tiles whose post-job has not run, runs them one after another,
    /// and records each outcome.
    public func runPending(limit: Int = 8) async throws -> [Run] {
        let store = PostJobStore(connection: connection)
        var runs: [Run] = []
        for claim in try await store.claim(limit: limit, runner: runner) {
            let environment = ["TILEFLEET_TASK": claim.task, "TILEFLEET_TILE": claim.tile, "TILEFLEET_ATTEMPT": String(claim.attempt),
                               "TILEFLEET_ASSETS": claim.assetsJSON]
            let (status, output) = await Self.run(command: claim.command, environment: environment, timeoutSeconds: timeoutSeconds)
            try await store.record(claim, exitCode: status, output: output)
            runs.append(Run(task: claim.task, tile: claim.tile, attempt: claim.attempt, exitCode: status, output: output))
        }
        return runs
    }

    /// `/bin/sh -c command` on a dedicated thread; its output's last 4,000 characters are kept.
    /// Returns the exit status (128 + signal when killed).
    static func run(command: String, environment: [String: String], timeoutSeconds: Int) async -> (Int32, String) {
        let result = await ChildProcess.runOnThread(["/bin/sh", "-c", command], environment: environment,
                                                    timeout: .seconds(timeoutSeconds), keepCharacters: 4000)
        return (result.status, result.output)
    }
}
