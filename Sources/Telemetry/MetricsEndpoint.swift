import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle

/// `GET /metrics` in the Prometheus text format, as a service beside a role (worker, coordinator,
/// recorder). It listens on loopback unless told otherwise: the metrics name backends and tasks'
/// outcomes, which is no business of the network at large.
public struct MetricsEndpoint: Service {
    let application: Application<RouterResponder<BasicRequestContext>>

    /// Serves `registry` on `host:port`, with a `# HELP` line from `help` (metric name → text)
    /// before each metric's `# TYPE` line.
    public init(registry: PrometheusCollectorRegistry, host: String = "127.0.0.1", port: Int,
                help: [String: String], serverName: String, logger: Logger) {
        let router = Router()
        router.get("metrics") { _, _ -> Response in
            let text = Self.addingHelp(to: String(decoding: registry.emitToBuffer(), as: UTF8.self), help: help)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        application = Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: serverName),
                                  logger: logger)
    }

    /// The `# HELP` text of the reconnect counters the AMQP and Postgres targets keep in every role.
    public static let connectionHelp: [String: String] = [
        "tilefleet_broker_reconnects_total": "Broker reconnections of this process.",
        "tilefleet_database_reconnects_total": "Database reconnections of this process.",
    ]

    public func run() async throws {
        try await application.run()
    }

    /// `exposition` with `# HELP <name> <text>` before each `# TYPE <name> …` line whose name has a
    /// text in `help` (and no HELP line of its own yet). Backslashes and line breaks in the text are
    /// escaped as the format requires.
    static func addingHelp(to exposition: String, help: [String: String]) -> String {
        var lines: [String] = []
        var helped = Set<Substring>()
        for line in exposition.split(separator: "\n", omittingEmptySubsequences: false) {
            let words = line.split(separator: " ", maxSplits: 3)
            if words.count >= 3, words[0] == "#", words[1] == "HELP" { helped.insert(words[2]) }
            if words.count >= 3, words[0] == "#", words[1] == "TYPE", !helped.contains(words[2]), let text = help[String(words[2])] {
                let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
                lines.append("# HELP \(words[2]) \(escaped)")
                helped.insert(words[2])
            }
            lines.append(String(line))
        }
        return lines.joined(separator: "\n")
    }
}
