/// An error from compiling or rendering a chat template.
///
/// `description` names where in the template it happened, so an operator can fix a broken
/// template from the log line alone. `message` is the bare text: for `raise_exception` it is
/// exactly what the template passed, which the engine can return to the client (a 400).
public struct TemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, coarsely: enough for a caller to pick a response.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        private enum Code: Sendable, Hashable {
            case syntax, raised, runtime, limitExceeded
        }

        private let code: Code

        /// The template does not parse. Found when the renderer is created, so a model with a
        /// broken template fails at start-up.
        public static let syntax = Kind(code: .syntax)
        /// The template called `raise_exception(message)`: usually the request is at fault
        /// (roles out of order, an unsupported role).
        public static let raised = Kind(code: .raised)
        /// Evaluation failed: a type error, an undefined value used where it cannot be, and the like.
        public static let runtime = Kind(code: .runtime)
        /// A bound on work, recursion or output size was reached.
        public static let limitExceeded = Kind(code: .limitExceeded)

        public var description: String {
            switch code {
            case .syntax: "syntax error"
            case .raised: "raised by the template"
            case .runtime: "runtime error"
            case .limitExceeded: "limit exceeded"
            }
        }
    }

    public let kind: Kind
    /// The message without a location.
    public let message: String
    /// 1-based line in the template source, when known.
    public let line: Int?
    /// 1-based column in that line, when known.
    public let column: Int?

    public var description: String {
        guard let line else { return "chat template: \(message)" }
        guard let column else { return "chat template line \(line): \(message)" }
        return "chat template line \(line), column \(column): \(message)"
    }

    init(kind: Kind, message: String, location: SourceLocation?) {
        self.kind = kind
        self.message = message
        self.line = location?.line
        self.column = location?.column
    }

    static func syntax(_ message: String, at location: SourceLocation?) -> TemplateError {
        TemplateError(kind: .syntax, message: message, location: location)
    }

    static func raised(_ message: String, at location: SourceLocation?) -> TemplateError {
        TemplateError(kind: .raised, message: message, location: location)
    }

    static func runtime(_ message: String, at location: SourceLocation? = nil) -> TemplateError {
        TemplateError(kind: .runtime, message: message, location: location)
    }

    static func limit(_ message: String, at location: SourceLocation? = nil) -> TemplateError {
        TemplateError(kind: .limitExceeded, message: message, location: location)
    }

    /// The same error placed at `location`, unless it already has a place.
    func located(at location: SourceLocation) -> TemplateError {
        guard line == nil else { return self }
        return TemplateError(kind: kind, message: message, location: location)
    }
}
