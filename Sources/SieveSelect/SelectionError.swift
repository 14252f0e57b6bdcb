/// A selection method cannot be applied to the data it was given. The message names the method
/// and says what in the data is wrong, so a run can report it as it is.
public struct SelectionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The method's name as the command line spells it, e.g. "limr".
    public var method: String
    public var message: String

    public init(method: String, message: String) {
        self.method = method
        self.message = message
    }

    public var description: String { "\(method): \(message)" }
}
