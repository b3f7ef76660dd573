/// One entry of what a platform says a job used (openEO `usage`: `cpu`, `memory`, `duration`,
/// `network`, `storage`, …), as the platform reports it: a number and its unit.
public struct UsageQuantity: Sendable, Codable, Hashable {
    public var value: Double
    public var unit: String?

    public init(value: Double, unit: String? = nil) {
        self.value = value
        self.unit = unit
    }
}
