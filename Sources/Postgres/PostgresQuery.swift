/// A SQL statement with its parameters. Interpolated values become `$n` parameters, never text
/// in the SQL: `"SELECT * FROM tiles WHERE task_id = \(taskID)"` is parameterised.
public struct PostgresQuery: Sendable, ExpressibleByStringInterpolation {
    public var sql: String
    public var binds: [PostgresBind]

    public init(_ sql: String, binds: [PostgresBind] = []) {
        self.sql = sql
        self.binds = binds
    }

    public init(stringLiteral value: String) {
        self.init(value)
    }

    public init(stringInterpolation: StringInterpolation) {
        self.init(stringInterpolation.sql, binds: stringInterpolation.binds)
    }

    public struct StringInterpolation: StringInterpolationProtocol {
        var sql = ""
        var binds: [PostgresBind] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + interpolationCount * 3)
        }

        public mutating func appendLiteral(_ literal: String) {
            sql += literal
        }

        public mutating func appendInterpolation<T: PostgresEncodable>(_ value: T) {
            binds.append(PostgresBind(value))
            sql += "$\(binds.count)"
        }

        public mutating func appendInterpolation<T: PostgresEncodable>(_ value: T?) {
            binds.append(PostgresBind(value))
            sql += "$\(binds.count)"
        }

        /// Inserts SQL text as is: only for identifiers and fragments the program itself builds.
        public mutating func appendInterpolation(unescaped text: String) {
            sql += text
        }
    }
}

/// One query parameter: its type and its text (or NULL).
public struct PostgresBind: Sendable {
    public var type: PostgresDataType
    public var text: String?

    public init<T: PostgresEncodable>(_ value: T?) {
        self.type = T.postgresDataType
        self.text = value?.postgresText
    }

    /// A NULL whose type the server infers.
    public static let null = PostgresBind(type: .unspecified, text: nil)

    public init(type: PostgresDataType, text: String?) {
        self.type = type
        self.text = text
    }
}
