import Foundation
import TestSupport

/// Hosts of their own for roles of a fleet under test: one network namespace per host, each joined
/// by a veth link to a bridge in the test's namespace, whose address (`gateway`) the services and
/// the simulator listen on. A host knows only its own loopback and its address on the link, so
/// everything it reaches goes over the link, and cutting the link cuts the host off.
///
/// Made with `ip` (the tests run as root). `remove()` deletes all of it; `make` first removes what
/// an earlier, aborted run may have left behind.
struct HostNetwork {
    struct NetworkError: Error, CustomStringConvertible { let description: String }

    static let bridge = "tfpgbr0"
    static let gateway = "10.231.0.1"
    /// The hosts' short names (interface names are at most 15 characters).
    let hosts: [String]

    static let ipTool = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"]
        .first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/sbin/ip"

    static func namespace(_ host: String) -> String { "tfpg-\(host)" }
    /// The link's end in the test's namespace, in the bridge: the one that is cut.
    static func outerLink(_ host: String) -> String { "tfpg\(host)h" }
    static func innerLink(_ host: String) -> String { "tfpg\(host)n" }

    /// The host's address on its link.
    func address(_ host: String) -> String { "10.231.0.\(11 + hosts.firstIndex(of: host)!)" }

    static func make(hosts: [String]) async throws -> HostNetwork {
        let network = HostNetwork(hosts: hosts)
        network.remove()
        do {
            try await ip(["link", "add", bridge, "type", "bridge"])
            try await ip(["addr", "add", "\(gateway)/24", "dev", bridge])
            try await ip(["link", "set", bridge, "up"])
            for host in hosts {
                let namespace = namespace(host), inner = innerLink(host)
                try await ip(["netns", "add", namespace])
                try await ip(["link", "add", outerLink(host), "type", "veth", "peer", "name", inner])
                try await ip(["link", "set", inner, "netns", namespace])
                try await ip(["link", "set", outerLink(host), "master", bridge, "up"])
                try await ip(["-n", namespace, "addr", "add", "\(network.address(host))/24", "dev", inner])
                try await ip(["-n", namespace, "link", "set", inner, "up"])
                try await ip(["-n", namespace, "link", "set", "lo", "up"])
            }
        } catch {
            network.remove()
            throw error
        }
        return network
    }

    /// Takes the host's link down: its packets go nowhere, its connections hang.
    func cut(_ host: String) async throws { try await Self.ip(["link", "set", Self.outerLink(host), "down"]) }

    func restore(_ host: String) async throws { try await Self.ip(["link", "set", Self.outerLink(host), "up"]) }

    /// `arguments` run on `host` (`ip netns exec` execs them: the PID is the command's own).
    func command(on host: String, _ arguments: [String]) -> [String] {
        [Self.ipTool, "netns", "exec", Self.namespace(host)] + arguments
    }

    /// Deletes the namespaces (and with them their links) and the bridge; blocking, for `defer`.
    func remove() {
        for host in hosts {
            _ = try? TestEnvironment.run([Self.ipTool, "netns", "delete", Self.namespace(host)])
            _ = try? TestEnvironment.run([Self.ipTool, "link", "delete", Self.outerLink(host)])
        }
        _ = try? TestEnvironment.run([Self.ipTool, "link", "delete", Self.bridge])
    }

    static func ip(_ arguments: [String]) async throws {
        let (status, output) = try await TestEnvironment.runOnThread([ipTool] + arguments)
        guard status == 0 else { throw NetworkError(description: "ip \(arguments.joined(separator: " ")) failed: \(output)") }
    }
}
