import HTTP
import Simulator
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Runs `body` against a fresh ``SimulatorServer`` with the ``DiagnosticRoutes`` and a fresh client,
/// then shuts both down.
func withDiagnosticServer(
    configuration: HTTPClient.Configuration = .init(),
    _ body: (_ client: HTTPClient, _ baseURL: String, _ routes: DiagnosticRoutes) async throws -> Void
) async throws {
    let routes = DiagnosticRoutes()
    try await withLoopbackServer(SimulatorServer { routes.register(on: $0) }, client: configuration) { client, baseURL in
        try await body(client, baseURL, routes)
    }
}

/// A loopback port with nothing listening: bound to find a free one, then closed.
func unusedLoopbackPort() -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
            _ = bind(descriptor, socketAddress, length)
            _ = getsockname(descriptor, socketAddress, &length)
        }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A loopback listener whose accept queue is full, so that a new connection attempt hangs in the
/// handshake (Linux drops the SYN): a reliable connect timeout. Close the returned descriptors after.
func saturatedLoopbackListener() -> (port: Int, descriptors: [Int32]) {
    let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
            _ = bind(listener, socketAddress, length)
            _ = getsockname(listener, socketAddress, &length)
        }
    }
    _ = listen(listener, 0)
    var descriptors = [listener]
    for _ in 0..<4 {
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                _ = connect(client, socketAddress, length)
            }
        }
        descriptors.append(client)
    }
    return (Int(UInt16(bigEndian: address.sin_port)), descriptors)
}
