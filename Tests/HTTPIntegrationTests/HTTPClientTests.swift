import Foundation
import HTTP
import Simulator
import Testing

@Suite("HTTPClient against a loopback server")
struct HTTPClientTests {
    @Test("1,000 requests at concurrency 100 all succeed with their own bodies, over reused connections")
    func thousandConcurrentRequests() async throws {
        try await withDiagnosticServer { client, baseURL, routes in
            let total = 1000
            let concurrency = 100
            let succeeded = try await withThrowingTaskGroup(of: Int.self) { group in
                var next = 0
                var succeeded = 0
                func submit(_ index: Int) {
                    group.addTask {
                        let request = HTTPClient.Request("\(baseURL)/echo", method: .post, body: Data("payload-\(index)".utf8))
                        let response = try await client.execute(request)
                        #expect(response.status == 200)
                        let echo = try response.decode(DiagnosticRoutes.Echo.self)
                        #expect(echo.method == "POST")
                        #expect(echo.body == "payload-\(index)")
                        return echo.body == "payload-\(index)" ? 1 : 0
                    }
                }
                while next < concurrency {
                    submit(next)
                    next += 1
                }
                while let result = try await group.next() {
                    succeeded += result
                    if next < total {
                        submit(next)
                        next += 1
                    }
                }
                return succeeded
            }
            #expect(succeeded == total)
            #expect(routes.requestCount == total)
            #expect(routes.connectionCount <= concurrency + 10, "connections are kept alive and reused")
        }
    }

    @Test("methods, request headers and bodies reach the server")
    func methodsHeadersAndBodies() async throws {
        try await withDiagnosticServer { client, baseURL, _ in
            for method in [HTTPClient.Method.get, .post, .put, .patch, .delete] {
                let body = method == .get ? nil : Data("body of \(method)".utf8)
                let request = HTTPClient.Request(
                    "\(baseURL)/echo?x=1",
                    method: method,
                    headers: ["X-Tile": "31UFS-7", "Content-Type": "text/plain"],
                    body: body
                )
                let echo = try await client.execute(request).decode(DiagnosticRoutes.Echo.self)
                #expect(echo.method == method.rawValue)
                #expect(echo.uri == "/echo?x=1")
                #expect(echo.headers["x-tile"] == ["31UFS-7"])
                #expect(echo.body == (body.map { String(decoding: $0, as: UTF8.self) } ?? ""))
                #expect(echo.headers["expect"] == nil)
            }
            let head = try await client.execute(HTTPClient.Request("\(baseURL)/echo", method: .head))
            #expect(head.status == 200)
            #expect(head.body.isEmpty)
        }
    }

    @Test("a POST without a body sends no invented content type")
    func emptyPost() async throws {
        try await withDiagnosticServer { client, baseURL, _ in
            let echo = try await client.execute(HTTPClient.Request("\(baseURL)/echo", method: .post))
                .decode(DiagnosticRoutes.Echo.self)
            #expect(echo.method == "POST")
            #expect(echo.body == "")
            #expect(echo.headers["content-type"] == nil)
        }
    }

    @Test("JSON bodies are encoded and decoded; response headers are case-insensitive")
    func json() async throws {
        struct Job: Codable, Equatable {
            var id: String
            var status: String
            var progress: Int
        }
        try await withDiagnosticServer { client, baseURL, _ in
            let job = Job(id: "j-1", status: "queued", progress: 0)
            let request = try HTTPClient.Request("\(baseURL)/echo", json: job)
            let echo = try await client.execute(request).decode(DiagnosticRoutes.Echo.self)
            #expect(echo.headers["content-type"] == ["application/json"])
            #expect(try JSONDecoder().decode(Job.self, from: Data(echo.body.utf8)) == job)

            let response = try await client.execute(HTTPClient.Request("\(baseURL)/json"))
            #expect(try response.decode(Job.self) == Job(id: "job-42", status: "running", progress: 42))
            #expect(response.headers["openeo-identifier"] == "job-42")
            #expect(response.headers["OpenEO-Identifier"] == "job-42")
            #expect(response.headers["CONTENT-TYPE"] == "application/json")

            let decoded = try await client.execute(HTTPClient.Request("\(baseURL)/json"), decoding: Job.self)
            #expect(decoded.id == "job-42")
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.execute(HTTPClient.Request("\(baseURL)/status/500"), decoding: Job.self)
            }
            #expect(error?.code == .unexpectedStatus)
            #expect(error?.status == 500)
            let garbage = await #expect(throws: HTTPClientError.self) {
                try await client.execute(HTTPClient.Request("\(baseURL)/hello"), decoding: Job.self)
            }
            #expect(garbage?.code == .decoding)
            #expect(garbage?.message.contains("hello") == true)
        }
    }

    @Test("a per-request timeout fires as a timeout error")
    func timeout() async throws {
        try await withDiagnosticServer { client, baseURL, _ in
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.execute(HTTPClient.Request("\(baseURL)/slow?ms=2000", timeout: .milliseconds(300)))
            }
            #expect(error?.code == .timeout)
            #expect(error?.isTimeout == true)
            #expect(error?.requestWasNotSent == false, "the server received this request")

            let response = try await client.execute(HTTPClient.Request("\(baseURL)/slow?ms=50", timeout: .seconds(5)))
            #expect(response.text == "slow")
        }
    }

    @Test("redirects are followed and the effective URL reported; their number is bounded")
    func redirects() async throws {
        try await withDiagnosticServer(configuration: .init(maxRedirects: 3)) { client, baseURL, _ in
            let response = try await client.execute(HTTPClient.Request("\(baseURL)/redirect?to=/json"))
            #expect(response.status == 200)
            #expect(response.effectiveURL == "\(baseURL)/json")
            #expect(response.redirectCount == 1)

            let chained = try await client.execute(HTTPClient.Request("\(baseURL)/redirect-chain/3"))
            #expect(chained.text == "hello")
            #expect(chained.redirectCount == 3)

            let error = await #expect(throws: HTTPClientError.self) {
                try await client.execute(HTTPClient.Request("\(baseURL)/redirect-chain/4"))
            }
            #expect(error?.code == .tooManyRedirects)

            let unfollowed = try await client.execute(HTTPClient.Request("\(baseURL)/redirect?to=/json&status=303", followRedirects: false))
            #expect(unfollowed.status == 303)
            #expect(unfollowed.location == "/json")
        }
    }

    @Test("429 with Retry-After is a response, and the delay is surfaced")
    func tooManyRequests() async throws {
        try await withDiagnosticServer { client, baseURL, _ in
            let response = try await client.execute(HTTPClient.Request("\(baseURL)/status/429?retry-after=7"))
            #expect(response.status == 429)
            #expect(response.isThrottled)
            #expect(response.retryAfterHeader == .seconds(7))
            #expect(response.retryAfter == .seconds(7))

            let dated = try await client.execute(
                HTTPClient.Request("\(baseURL)/status/503?retry-after=Wed,%2021%20Oct%202015%2007:28:00%20GMT")
            )
            #expect(dated.status == 503)
            let now = Date(timeIntervalSince1970: 1_445_412_470)  // 10 s before the date
            #expect(dated.retryAfter(now: now) == .seconds(10))

            let notFound = try await client.execute(HTTPClient.Request("\(baseURL)/status/404"))
            #expect(notFound.status == 404)
            #expect(notFound.retryAfter == nil)
        }
    }

    @Test("a download streams to a file with the right size and content")
    func download() async throws {
        try await withDiagnosticServer { client, baseURL, _ in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tilefleet-http-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let destination = directory.appendingPathComponent("tile.tif")
            let size = 5 * 1024 * 1024 + 123

            let download = try await client.download(HTTPClient.Request("\(baseURL)/bytes/\(size)"), to: destination)
            #expect(download.response.status == 200)
            #expect(download.bytes == Int64(size))
            #expect(download.file == destination)
            #expect(download.response.body.isEmpty)
            let data = try Data(contentsOf: destination)
            #expect(data.count == size)
            let firstMismatch = data.withUnsafeBytes { bytes in
                (0..<bytes.count).first { bytes[$0] != DiagnosticRoutes.byte(at: $0) }
            }
            #expect(firstMismatch == nil)

            let missing = directory.appendingPathComponent("missing.tif")
            let failed = try await client.download(HTTPClient.Request("\(baseURL)/status/404"), to: missing)
            #expect(failed.response.status == 404)
            #expect(failed.file == nil)
            #expect(failed.response.text == "status 404")
            #expect(!FileManager.default.fileExists(atPath: missing.path))
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["tile.tif"], "no temporary file is left")
        }
    }

    @Test("a download over its limit stops before writing it and leaves no file; one at the limit is stored")
    func downloadLimit() async throws {
        try await withDiagnosticServer { client, baseURL, _ in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tilefleet-http-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            let target = try ConfinedDirectory(path: directory.path)
            let error = await #expect(throws: HTTPClientError.self) {
                _ = try await client.download(HTTPClient.Request("\(baseURL)/bytes/100000"), into: target, path: ["tile", "big.tif"], maxBytes: 1000)
            }
            #expect(error?.code == .responseTooLarge)
            #expect(error?.message == "the server announces 100000 bytes, more than the limit of 1000")
            let exact = try await client.download(HTTPClient.Request("\(baseURL)/bytes/1000"), into: target, path: ["tile", "exact.tif"], maxBytes: 1000)
            #expect(exact.bytes == 1000)
            #expect(exact.file?.path == directory.appendingPathComponent("tile/exact.tif").path)
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("tile").path) == ["exact.tif"])
        }
    }

    @Test("a body over the in-memory limit fails clearly")
    func responseTooLarge() async throws {
        try await withDiagnosticServer(configuration: .init(maxResponseBodySize: 1000)) { client, baseURL, _ in
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.execute(HTTPClient.Request("\(baseURL)/bytes/5000"))
            }
            #expect(error?.code == .responseTooLarge)
        }
    }

    @Test("TLS is verified: a failed handshake or an unreadable CA bundle is a TLS error before sending")
    func tlsFailures() async throws {
        try await withDiagnosticServer { client, baseURL, _ in
            let plainServerOverTLS = baseURL.replacingOccurrences(of: "http://", with: "https://") + "/hello"
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.execute(HTTPClient.Request(plainServerOverTLS, method: .post))
            }
            #expect(error?.code == .tls)
            #expect(error?.requestWasNotSent == true)

            let badBundle = HTTPClient(configuration: .init(caBundlePath: "/nonexistent/ca.pem"))
            let bundleError = await #expect(throws: HTTPClientError.self) {
                try await badBundle.execute(HTTPClient.Request(plainServerOverTLS))
            }
            #expect(bundleError?.code == .tls)
            #expect(bundleError?.requestWasNotSent == true)
            await badBundle.shutdown()
        }
    }

    @Test("connection refused is reported as never reaching the server")
    func connectionRefused() async throws {
        let client = HTTPClient()
        let port = unusedLoopbackPort()
        let error = await #expect(throws: HTTPClientError.self) {
            try await client.execute(HTTPClient.Request("http://127.0.0.1:\(port)/jobs", method: .post, body: Data("{}".utf8)))
        }
        #expect(error?.code == .couldNotConnect)
        #expect(error?.requestWasNotSent == true)
        #expect(error?.message.isEmpty == false)
        await client.shutdown()
    }

    @Test("a connect timeout is a timeout that never reached the server")
    func connectTimeout() async throws {
        let (port, descriptors) = saturatedLoopbackListener()
        defer { descriptors.forEach { _ = close($0) } }
        let client = HTTPClient()
        let error = await #expect(throws: HTTPClientError.self) {
            try await client.execute(
                HTTPClient.Request("http://127.0.0.1:\(port)/jobs", method: .post, connectTimeout: .milliseconds(300))
            )
        }
        #expect(error?.code == .connectTimeout)
        #expect(error?.isTimeout == true)
        #expect(error?.requestWasNotSent == true)
        await client.shutdown()
    }

    @Test("an unresolvable host is reported as never reaching the server")
    func unresolvableHost() async throws {
        let client = HTTPClient()
        let error = await #expect(throws: HTTPClientError.self) {
            try await client.execute(HTTPClient.Request("http://no-such-host.invalid/jobs"))
        }
        #expect(error?.code == .couldNotResolveHost)
        #expect(error?.requestWasNotSent == true)
        await client.shutdown()
    }

    @Test("malformed or unsupported URLs give a clear error", arguments: [
        "not a url", "http://exa mple.org/", "http://[::1/", "ftp://example.org/file", "file:///etc/passwd", "",
    ])
    func malformedURL(url: String) async throws {
        let client = HTTPClient()
        let error = await #expect(throws: HTTPClientError.self) {
            try await client.execute(HTTPClient.Request(url))
        }
        #expect(error?.code == .invalidURL)
        #expect(error?.requestWasNotSent == true)
        #expect(error.map { "\($0)".contains("URL") } == true)
        await client.shutdown()
    }

    @Test("header fields that would inject lines are rejected")
    func headerInjection() async throws {
        let client = HTTPClient()
        let error = await #expect(throws: HTTPClientError.self) {
            try await client.execute(HTTPClient.Request("http://127.0.0.1:1/", headers: ["X-Evil": "a\r\nHost: b"]))
        }
        #expect(error?.code == .invalidRequest)
        await client.shutdown()
    }

    @Test("basic and bearer authorization reach the server")
    func authorization() async throws {
        try await withDiagnosticServer { client, baseURL, _ in
            var basic = HTTPClient.Request("\(baseURL)/echo")
            basic.setBasicAuthorization(username: "alice", password: "s3cret")
            let basicEcho = try await client.execute(basic).decode(DiagnosticRoutes.Echo.self)
            #expect(basicEcho.headers["authorization"] == ["Basic YWxpY2U6czNjcmV0"])

            var bearer = HTTPClient.Request("\(baseURL)/echo")
            bearer.setBearerToken("oidc/egi/abc.def")
            let bearerEcho = try await client.execute(bearer).decode(DiagnosticRoutes.Echo.self)
            #expect(bearerEcho.headers["authorization"] == ["Bearer oidc/egi/abc.def"])
        }
    }

    @Test("cancelling the task aborts the request")
    func cancellation() async throws {
        try await withDiagnosticServer { client, baseURL, _ in
            let task = Task {
                try await client.execute(HTTPClient.Request("\(baseURL)/slow?ms=1500"))
            }
            try await Task.sleep(for: .milliseconds(100))
            task.cancel()
            await #expect(throws: CancellationError.self) {
                try await task.value
            }
            let after = try await client.execute(HTTPClient.Request("\(baseURL)/hello"))
            #expect(after.text == "hello")
        }
    }

    @Test("requests after shutdown fail with the shutdown error")
    func afterShutdown() async throws {
        let client = HTTPClient()
        await client.shutdown()
        let error = await #expect(throws: HTTPClientError.self) {
            try await client.execute(HTTPClient.Request("http://127.0.0.1:1/"))
        }
        #expect(error?.code == .shutdown)
        #expect(error?.requestWasNotSent == true)
    }
}
