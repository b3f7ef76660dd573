/// Where a secret comes from: the name of an environment variable or the path of a file, never the
/// value itself (config files are shared, secrets are not).
public enum SecretReference: Sendable, Hashable, CustomStringConvertible {
    /// `…_env: NAME`.
    case environment(String)
    /// `…_file: PATH`; the file's content without trailing newlines.
    case file(String)

    public var description: String {
        switch self {
        case .environment(let name): "env:\(name)"
        case .file(let path): "file:\(path)"
        }
    }
}
