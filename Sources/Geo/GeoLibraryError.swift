/// A failure inside PROJ or GEOS that is not the user's fault (missing proj.db, out of memory, a
/// topology exception). Distinct from ``GeoValidationError`` so callers can exit with another status.
public struct GeoLibraryError: Error, Sendable, CustomStringConvertible {
    public var library: String
    public var message: String

    public init(library: String, message: String) {
        self.library = library
        self.message = message
    }

    public var description: String { "\(library) error: \(message)" }
}
