extension Report.Table {
    /// A table built outside `Report` (the coordinator's status, list and results), printed the
    /// same way as the reports.
    public static func make(title: String, columns: [String], rows: [[String?]]) -> Report.Table {
        Report.Table(title: title, columns: columns, rows: rows)
    }
}
