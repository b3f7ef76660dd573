import FleetModel
import Foundation
import Hummingbird
import Logging

/// The live map at `/` and the Leaflet files it loads from `/leaflet/…`, read once from Debian's
/// `libjs-leaflet` (no CDN: the page works without internet). Without those files the page
/// answers 503 saying which package is missing.
public struct MapRoutes: Sendable {
    /// Leaflet's files by their path below `/leaflet/`.
    let files: [String: (type: String, data: Data)]
    let page: String

    public static let defaultLeafletDirectory = "/usr/share/javascript/leaflet"
    static let leafletFiles: [(String, String)] = [
        ("leaflet.js", "text/javascript"), ("leaflet.css", "text/css"), ("images/layers.png", "image/png"),
        ("images/layers-2x.png", "image/png"), ("images/marker-icon.png", "image/png"), ("images/marker-icon-2x.png", "image/png"),
        ("images/marker-shadow.png", "image/png"),
    ]

    public init(leafletDirectory: String = Self.defaultLeafletDirectory, baseMap: String?, logger: Logger) {
        var files: [String: (type: String, data: Data)] = [:]
        for (name, type) in Self.leafletFiles {
            if let data = FileManager.default.contents(atPath: leafletDirectory + "/" + name) { files[name] = (type, data) }
        }
        if files["leaflet.js"] == nil {
            logger.warning("Leaflet not found: the map page is off (install Debian's libjs-leaflet)", metadata: ["directory": "\(leafletDirectory)"])
        }
        self.files = files
        page = MapPage.html(baseMap: baseMap)
    }

    public func register(on router: Router<ServeContext>) {
        router.get("/") { _, _ in
            guard files["leaflet.js"] != nil else {
                throw APIError(status: .serviceUnavailable, code: "MAP_UNAVAILABLE",
                               message: "the map needs Leaflet from Debian's libjs-leaflet package, which is not installed")
            }
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: page)))
        }
        router.get("leaflet/**") { _, context in
            let path = context.parameters.getCatchAll().joined(separator: "/")
            guard let file = files[path] else { throw APIError(status: .notFound, code: "NOT_FOUND", message: "no file leaflet/\(path)") }
            return Response(status: .ok, headers: [.contentType: file.type, .cacheControl: "max-age=86400"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: file.data)))
        }
    }
}
