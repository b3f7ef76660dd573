/// One result file of a finished job (a STAC asset, an OGC output with `href`, an EOCanvas result link).
public struct BackendAsset: Sendable, Hashable, Codable {
    /// The asset's key (STAC asset name, OGC output id, file name).
    public var name: String
    /// Where to download it.
    public var href: String
    /// The media type, e.g. `image/tiff; application=geotiff`, when known.
    public var mediaType: String?
    /// STAC roles such as `data` or `metadata`.
    public var roles: [String]
    /// A human title, when given.
    public var title: String?
    /// Size in bytes, when the platform says.
    public var size: Int?

    public init(name: String, href: String, mediaType: String? = nil, roles: [String] = [], title: String? = nil, size: Int? = nil) {
        self.name = name
        self.href = href
        self.mediaType = mediaType
        self.roles = roles
        self.title = title
        self.size = size
    }
}
