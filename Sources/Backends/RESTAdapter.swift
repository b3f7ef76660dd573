import HTTP

/// What the adapters share for addressing their platform: paths relative to the base URL, and
/// JSON GETs.
protocol RESTAdapter {
    var baseURL: String { get }
}

extension RESTAdapter {
    func url(_ path: String) -> String {
        BackendTransport.join(self.baseURL, path)
    }

    func get(_ path: String) -> HTTPClient.Request {
        HTTPClient.Request(self.url(path), headers: ["Accept": "application/json"])
    }
}
