import FleetModel
import Foundation
import TestSupport
import Testing

/// The live map in headless Chromium (Debian's `chromium`, which `make deps` installs): the
/// task's tile polygons are drawn, in the APEx palette, and turn green as the tiles finish.
@Suite(.serialized) struct MapBrowserTests {
    static let chromium = "/usr/bin/chromium"

    /// The page's DOM after its scripts ran (Chromium's `--dump-dom` with a virtual time budget).
    static func dom(_ url: String, screenshot: String? = nil) async throws -> String {
        var arguments = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--window-size=1200,800",
                         "--virtual-time-budget=4000"]
        arguments += screenshot.map { ["--screenshot=\($0)"] } ?? ["--dump-dom"]
        let (status, output) = try await TestEnvironment.runOnThread(arguments + [url])
        #expect(status == 0, "\(output)")
        return output
    }

    /// The stroke colours of the drawn polygons (Leaflet's SVG paths).
    static func strokes(_ dom: String) -> [String] {
        dom.split(separator: "<path").dropFirst().compactMap { path in
            guard path.contains("leaflet-interactive"), let range = path.range(of: #"stroke="([a-z]+)""#, options: .regularExpression) else { return nil }
            return String(path[range].dropFirst(8).dropLast())
        }
    }

    @Test func theMapDrawsTheTasksTilesAndTheyTurnGreenAsTheyFinish() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.chromium), "Debian's chromium is missing: make deps installs it")
        let h = try await ServeHarness(simulator: .init(duration: .fixed(3), requireAuth: false))
        defer { TestCleanup.later { await h.shutDown() } }
        try await h.startServe()
        let created = try await h.request("/upscale_tasks", method: .post, user: "alice", json: ServeAPITests.upscaleTask(h))
        let id = try #require(try ServeHarness.json(created)["id"]?.stringValue)
        let url = "\(h.baseURL)/?task=\(id)&token=\(ServeHarness.tokens["alice"]!)"

        // No coordinator yet: both tiles are drawn blue (created).
        let before = Self.strokes(try await Self.dom(url))
        #expect(before == ["blue", "blue"])

        try h.spawn("coordinator", ["coordinator"])
        try h.spawn("recorder", ["recorder"])
        try h.spawn("worker", ["worker", "--no-metrics"])
        let finished = try await eventually(timeout: .seconds(120), every: .milliseconds(500)) {
            try ServeHarness.json(try await h.request("/upscale_tasks/\(id)", user: "alice"))["status"]?.stringValue == "finished"
        }
        #expect(finished, "\(h.log("worker"))")
        let finishedDOM = try await Self.dom(url)
        #expect(Self.strokes(finishedDOM) == ["green", "green"])
        // The header shows what the jobs cost, as the simulator reported it.
        let credits = try #require(try ServeHarness.json(try await h.request("/api/tasks", user: "alice")).arrayValue?.first?["credits"]?.numberValue)
        #expect(credits > 0)
        #expect(finishedDOM.contains(String(format: "%.2f credits", credits)), "\(finishedDOM)")
    }
}
