extension GeoValidationError {
    /// The stderr line for a command that refuses its input: `<command>: <problem>`, a single
    /// line that always ends with exactly one newline.
    public func commandLineMessage(command: String) -> String {
        var message = "\(command): \(self)"
        while message.last?.isNewline == true { message.removeLast() }
        return message + "\n"
    }
}
