extension HTTPClient {
    /// An ordered list of HTTP header fields with case-insensitive lookup.
    ///
    /// Order and duplicates are kept as sent or received. Values of sensitive fields (`Authorization`,
    /// `Cookie`, …) are redacted in every description and mirror so that logging a request or response
    /// never leaks a secret.
    public struct Headers: Sendable, Equatable {
        /// One header field.
        public struct Field: Sendable, Equatable {
            public var name: String
            public var value: String

            public init(name: String, value: String) {
                self.name = name
                self.value = value
            }
        }

        /// Names (lower-cased) whose values never appear in descriptions.
        public static let sensitiveNames: Set<String> = [
            "authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "x-auth-token",
        ]

        /// The fields in order.
        public private(set) var fields: [Field]

        /// Creates headers from name-value pairs, in order.
        public init(_ pairs: [(String, String)] = []) {
            self.fields = pairs.map { Field(name: $0.0, value: $0.1) }
        }

        /// The first value for `name` (case-insensitive), or `nil`.
        public subscript(name: String) -> String? {
            self.fields.first { $0.name.caseInsensitiveEquals(name) }?.value
        }

        /// Every value for `name` (case-insensitive), in order.
        public func values(for name: String) -> [String] {
            self.fields.filter { $0.name.caseInsensitiveEquals(name) }.map(\.value)
        }

        /// Whether a field called `name` (case-insensitive) is present.
        public func contains(_ name: String) -> Bool {
            self.fields.contains { $0.name.caseInsensitiveEquals(name) }
        }

        /// Appends a field, keeping any existing ones of the same name.
        public mutating func add(name: String, value: String) {
            self.fields.append(Field(name: name, value: value))
        }

        /// Replaces every field called `name` by a single one with `value`.
        public mutating func replaceOrAdd(name: String, value: String) {
            self.remove(name: name)
            self.add(name: name, value: value)
        }

        /// Removes every field called `name` (case-insensitive).
        public mutating func remove(name: String) {
            self.fields.removeAll { $0.name.caseInsensitiveEquals(name) }
        }

        /// Whether `name` is one of ``sensitiveNames``.
        public static func isSensitive(_ name: String) -> Bool {
            sensitiveNames.contains(name.lowercased())
        }

        /// `name: value` lines with sensitive values replaced by `<redacted>`.
        var redactedLines: [String] {
            self.fields.map { field in
                "\(field.name): \(Self.isSensitive(field.name) ? "<redacted>" : field.value)"
            }
        }
    }
}

extension HTTPClient.Headers: Sequence {
    public func makeIterator() -> IndexingIterator<[Field]> {
        self.fields.makeIterator()
    }
}

extension HTTPClient.Headers: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }
}

extension HTTPClient.Headers: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "[" + self.redactedLines.joined(separator: ", ") + "]"
    }

    public var debugDescription: String {
        self.description
    }

    public var customMirror: Mirror {
        Mirror(self, unlabeledChildren: self.redactedLines, displayStyle: .collection)
    }
}

extension String {
    func caseInsensitiveEquals(_ other: String) -> Bool {
        self.utf8.count == other.utf8.count && self.lowercased() == other.lowercased()
    }
}
