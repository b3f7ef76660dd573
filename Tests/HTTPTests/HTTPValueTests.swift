import Foundation
import HTTP
import Testing

@Suite("HTTP value types")
struct HTTPValueTests {
    @Test("Authorization and URL credentials never appear in request descriptions")
    func redaction() {
        var request = HTTPClient.Request(
            "https://user:pa55word@openeo.example.org/jobs?x=1",
            method: .post,
            headers: ["Content-Type": "application/json", "Cookie": "session=abc123"],
            body: Data("{}".utf8)
        )
        request.setBearerToken("secret-token-123")
        var dumped = ""
        dump(request, to: &dumped)
        for text in ["\(request)", String(reflecting: request), dumped, "\(request.headers)", String(reflecting: request.headers)] {
            #expect(!text.contains("secret-token-123"), "\(text)")
            #expect(!text.contains("pa55word"), "\(text)")
            #expect(!text.contains("abc123"), "\(text)")
        }
        #expect("\(request)" == "POST https://<redacted>@openeo.example.org/jobs?x=1 [Content-Type: application/json, Cookie: <redacted>, Authorization: <redacted>] (2 bytes)")

        request.setBasicAuthorization(username: "alice", password: "s3cret")
        #expect(request.headers.values(for: "authorization").count == 1)
        #expect(!"\(request)".contains(request.headers["Authorization"]!))

        let error = HTTPClientError(code: .couldNotConnect, message: "refused", url: request.url)
        #expect(!"\(error)".contains("pa55word"))
    }

    @Test("header lookup ignores case and keeps order and duplicates")
    func headers() {
        var headers: HTTPClient.Headers = ["Location": "/a", "Set-Cookie": "x=1"]
        headers.add(name: "set-cookie", value: "y=2")
        #expect(headers["location"] == "/a")
        #expect(headers["LOCATION"] == "/a")
        #expect(headers.values(for: "SET-COOKIE") == ["x=1", "y=2"])
        headers.replaceOrAdd(name: "LOCATION", value: "/b")
        #expect(headers.values(for: "location") == ["/b"])
        headers.remove(name: "set-cookie")
        #expect(!headers.contains("Set-Cookie"))
        #expect(headers["Retry-After"] == nil)
    }

    @Test("Retry-After parses seconds and all three HTTP-date forms")
    func retryAfter() {
        let now = Date(timeIntervalSince1970: 784_111_767)  // Sun, 06 Nov 1994 08:49:27 GMT
        #expect(HTTPClient.RetryAfter(headerValue: "120") == .seconds(120))
        #expect(HTTPClient.RetryAfter(headerValue: " 0 ")?.delay(from: now) == .zero)
        for value in ["Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"] {
            #expect(HTTPClient.RetryAfter(headerValue: value)?.delay(from: now) == .seconds(10), "\(value)")
        }
        #expect(HTTPClient.RetryAfter(headerValue: "Sun, 06 Nov 1994 08:49:37 GMT")?.delay(from: now.addingTimeInterval(60)) == .zero)
        #expect(HTTPClient.RetryAfter(headerValue: "-5") == nil)
        #expect(HTTPClient.RetryAfter(headerValue: "soon") == nil)
        #expect(HTTPClient.RetryAfter(headerValue: "") == nil)

        let throttled = HTTPClient.Response(status: 429, headers: ["retry-after": "3"], effectiveURL: "http://x/")
        #expect(throttled.retryAfter == .seconds(3))
        let ok = HTTPClient.Response(status: 200, headers: ["Retry-After": "3"], effectiveURL: "http://x/")
        #expect(ok.retryAfter == nil)
        #expect(ok.retryAfterHeader == .seconds(3))
    }
}
