import Foundation

extension Tilefleet {
    /// The command line (without the program name) as the parser should read it: negative
    /// numbers and bboxes as values, see ``NegativeValueArguments``.
    public static func arguments(_ raw: [String] = Array(CommandLine.arguments.dropFirst())) -> [String] {
        // The commands' shapes are only worked out when there is something to rewrite.
        guard raw.contains(where: NegativeValueArguments.isNegativeValue) else { return raw }
        return NegativeValueArguments.normalized(raw, shape: NegativeValueArguments.shape(of: Tilefleet.self))
    }
}
