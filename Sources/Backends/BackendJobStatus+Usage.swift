import FleetModel

extension BackendJobStatus {
    /// A platform's `costs` as tilefleet keeps it: a finite number ≥ 0, else nothing (a platform's
    /// answer is not trusted to be sane).
    static func screenedCosts(_ value: JSONValue?) -> Double? {
        guard let costs = value?.numberValue, costs.isFinite, costs >= 0 else { return nil }
        return costs
    }

    /// A platform's `usage` object as tilefleet keeps it: the entries with a finite numeric `value`
    /// and a name of at most ``MessageLimits/usageName`` bytes, units clipped to the same, at most
    /// ``MessageLimits/usageEntries`` of them (by name); nothing when none is left.
    static func screenedUsage(_ value: JSONValue?) -> [String: UsageQuantity]? {
        guard let members = value?.jsonObject else { return nil }
        var usage: [String: UsageQuantity] = [:]
        for name in members.keys.sorted() where usage.count < MessageLimits.usageEntries {
            guard !name.isEmpty, name.utf8.count <= MessageLimits.usageName,
                  let entry = members[name], let number = entry["value"]?.numberValue, number.isFinite else { continue }
            usage[name] = UsageQuantity(value: number, unit: entry["unit"]?.stringValue.map { MessageLimits.clipped($0, to: MessageLimits.usageName) })
        }
        return usage.isEmpty ? nil : usage
    }
}
