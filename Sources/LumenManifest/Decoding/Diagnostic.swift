import LumenAPI
/// Where something is in the user's input: a file (or `<stdin>`), line and column from 1.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// One problem found in the input, with where it is and what was expected.
public struct Diagnostic: Error, Sendable, Hashable, CustomStringConvertible {
    /// The place in a file; `nil` when the problem is with stored state or a whole file.
    public var location: SourceLocation?
    /// Where the problem is when there is no file position (a stored object, a file path).
    public var subject: String?
    /// The field path inside the document, such as `spec.candidates[1]`.
    public var path: String
    public var message: String

    public init(location: SourceLocation?, subject: String? = nil, path: String, message: String) {
        self.location = location
        self.subject = subject
        self.path = path
        self.message = message
    }

    public var description: String {
        var parts: [String] = []
        if let location { parts.append(location.description) } else if let subject { parts.append(subject) }
        if !path.isEmpty { parts.append(path) }
        parts.append(message)
        return parts.joined(separator: ": ")
    }
}

/// Every problem found in an input at once, so the user can fix them in one pass.
public struct ManifestErrors: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics
    }

    public var description: String {
        let count = diagnostics.count
        let header = count == 1 ? "1 error; nothing was changed:" : "\(count) errors; nothing was changed:"
        return ([header] + diagnostics.map { "  " + $0.description }).joined(separator: "\n")
    }
}

/// Collects diagnostics while documents are decoded; used from one thread at a time.
final class DiagnosticSink {
    var diagnostics: [Diagnostic] = []

    func report(_ location: SourceLocation?, _ path: FieldPath, _ message: String) {
        diagnostics.append(Diagnostic(location: location, path: path.description, message: message))
    }
}

/// A dotted field path such as `spec.candidates[1]`.
public struct FieldPath: Sendable, Hashable, CustomStringConvertible {
    public private(set) var description: String

    public init(_ description: String = "") {
        self.description = description
    }

    public func appending(_ key: String) -> FieldPath {
        let safeKey = key.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
            ? key : ManifestValue.jsonString(key)
        return FieldPath(description.isEmpty ? safeKey : description + "." + safeKey)
    }

    public func appending(index: Int) -> FieldPath {
        FieldPath(description + "[\(index)]")
    }
}
