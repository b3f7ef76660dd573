/// The rows a statement returned, copied out of libpq, plus the affected-row count.
public struct PostgresRows: Sendable, RandomAccessCollection {
    public let columns: [PostgresColumn]
    let values: [String?]
    /// Rows affected by INSERT/UPDATE/DELETE/COPY (`PQcmdTuples`), or the row count of a SELECT.
    public let affectedRows: Int
    let columnIndex: [String: Int]

    init(columns: [PostgresColumn], values: [String?], affectedRows: Int) {
        self.columns = columns
        self.values = values
        self.affectedRows = affectedRows
        var index: [String: Int] = [:]
        for (i, c) in columns.enumerated() where index[c.name] == nil { index[c.name] = i }
        self.columnIndex = index
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { columns.isEmpty ? 0 : values.count / columns.count }

    public subscript(position: Int) -> PostgresRow {
        PostgresRow(rows: self, row: position)
    }
}

/// A result column's name and type.
public struct PostgresColumn: Sendable, Equatable {
    public let name: String
    public let type: PostgresDataType
}

/// One row of a result, with typed access by column index or name.
public struct PostgresRow: Sendable {
    let rows: PostgresRows
    let row: Int

    /// Number of columns.
    public var columnCount: Int { rows.columns.count }

    /// The raw text of a column (nil for NULL).
    public subscript(index: Int) -> String? {
        rows.values[row * rows.columns.count + index]
    }

    /// Decodes a non-NULL column value.
    public func decode<T: PostgresDecodable>(_ type: T.Type, at index: Int) throws(PostgresError) -> T {
        guard index >= 0, index < rows.columns.count else {
            throw PostgresError(kind: .decoding, message: "no column \(index) (the row has \(rows.columns.count))")
        }
        guard let text = self[index] else {
            throw PostgresError(kind: .decoding, message: "column '\(rows.columns[index].name)' is NULL, expected \(T.self)")
        }
        do {
            return try T(postgresText: text, type: rows.columns[index].type)
        } catch {
            throw PostgresError(kind: .decoding, message: "column '\(rows.columns[index].name)': \(error.message)")
        }
    }

    /// Decodes a column value that may be NULL.
    public func decode<T: PostgresDecodable>(_ type: T?.Type, at index: Int) throws(PostgresError) -> T? {
        guard index >= 0, index < rows.columns.count else {
            throw PostgresError(kind: .decoding, message: "no column \(index) (the row has \(rows.columns.count))")
        }
        guard self[index] != nil else { return nil }
        return try decode(T.self, at: index)
    }

    public func decode<T: PostgresDecodable>(_ type: T.Type, column: String) throws(PostgresError) -> T {
        try decode(type, at: index(of: column))
    }

    public func decode<T: PostgresDecodable>(_ type: T?.Type, column: String) throws(PostgresError) -> T? {
        try decode(type, at: index(of: column))
    }

    private func index(of column: String) throws(PostgresError) -> Int {
        guard let i = rows.columnIndex[column] else {
            throw PostgresError(kind: .decoding, message: "no column named '\(column)'")
        }
        return i
    }
}
