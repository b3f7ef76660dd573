extension Report.Table {
    /// A table built outside `Report` (the coordinator's status, list and results), printed the
    /// same way as the reports.
    public static func make(title: String, name: String? = nil, columns: [String], kinds: [Report.ColumnKind]? = nil,
                            rows: [[String?]]) -> Report.Table {
        Report.Table(title: title, name: name ?? title.lowercased().replacingOccurrences(of: " ", with: "_"), columns: columns,
                     kinds: kinds ?? Array(repeating: .text, count: columns.count), rows: rows)
    }
}
