/// Formats benchmark samples the same way for every `tilefleet bench` command.
enum BenchReport {
    static func line(_ name: String, unit: String, samples: [Double]) -> String {
        let sorted = samples.sorted()
        let median = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
        let best = sorted.last ?? 0
        return "\(name): best \(format(best)) \(unit), median \(format(median)) \(unit) (\(samples.count) runs)"
    }

    static func format(_ value: Double) -> String {
        let rounded = (value / 100).rounded() * 100
        return Int(rounded).formatted()
    }
}
