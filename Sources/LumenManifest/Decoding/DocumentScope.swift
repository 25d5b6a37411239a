import LumenAPI
import Yams

/// Per-document decoding state: the file, the diagnostics sink and where each field was found.
final class DocumentScope {
    let file: String
    let sink: DiagnosticSink
    /// Field path → position of its value, kept for checks that run after decoding (references).
    var fieldLocations: [String: SourceLocation] = [:]

    init(file: String, sink: DiagnosticSink) {
        self.file = file
        self.sink = sink
    }

    func location(of node: Node) -> SourceLocation? {
        node.mark.map { SourceLocation(file: file, line: $0.line, column: $0.column) }
    }

    func report(_ node: Node, _ path: FieldPath, _ message: String) {
        sink.report(location(of: node), path, message)
    }
}

extension Node {
    var isNull: Bool {
        guard case .scalar(let scalar) = self, scalar.style == .plain || scalar.style == .any else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// How a node reads in an error message: `got "abc"`, `got a list`.
    var shortDescription: String {
        switch self {
        case .scalar(let scalar):
            let text = scalar.string.count > 40 ? String(scalar.string.prefix(40)) + "…" : scalar.string
            return scalar.style == .plain || scalar.style == .any ? text : "\"\(text)\" (quoted)"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }
}

/// Reads one YAML value at a known field path; every failure is reported, never thrown.
struct ValueReader {
    let node: Node
    let path: FieldPath
    let scope: DocumentScope

    func fail(_ expected: String) {
        scope.report(node, path, "expected \(expected), got \(node.shortDescription)")
    }

    private var plainScalar: String? {
        guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any else { return nil }
        return scalar.string
    }

    private var anyScalar: String? {
        guard case .scalar(let scalar) = node else { return nil }
        return scalar.string
    }

    func string(expected: String = "a string") -> String? {
        guard let text = anyScalar, !text.isEmpty else {
            fail(expected)
            return nil
        }
        return text
    }

    func int(in range: ClosedRange<Int>, expected: String? = nil) -> Int? {
        let expectation = expected ?? "an integer from \(range.lowerBound) to \(range.upperBound)"
        guard let text = plainScalar, let value = Int(text), range.contains(value) else {
            fail(expectation)
            return nil
        }
        return value
    }

    func number(in range: ClosedRange<Double>, expected: String) -> Double? {
        guard let text = plainScalar, let value = Double(text), value.isFinite, range.contains(value) else {
            fail(expected)
            return nil
        }
        return value
    }

    /// A 0–1 score such as `quality` or `qualityBar`.
    func score() -> Double? {
        number(in: 0...1, expected: "a number from 0 to 1")
    }

    func bool() -> Bool? {
        switch plainScalar?.lowercased() {
        case "true": return true
        case "false": return false
        default:
            fail("true or false")
            return nil
        }
    }

    func duration(allowZero: Bool = false) -> LumenDuration? {
        let expected = "a duration such as 500ms, 2s, 10m or 1h"
        guard let text = anyScalar, let value = LumenDuration(parsing: text) else {
            fail(expected)
            return nil
        }
        if value.milliseconds == 0 && !allowZero {
            fail("a duration greater than zero")
            return nil
        }
        return value
    }

    func usd() -> USD? {
        guard let text = anyScalar, let value = USD(parsing: text) else {
            fail("an amount in USD such as 0.15 or 2.50 (no sign or currency symbol)")
            return nil
        }
        return value
    }

    func oneOf<E: RawRepresentable & CaseIterable>(_ type: E.Type) -> E? where E.RawValue == String {
        guard let text = anyScalar, let value = E(rawValue: text) else {
            fail("one of " + E.allCases.map(\.rawValue).joined(separator: ", "))
            return nil
        }
        return value
    }

    /// A name that must follow the manifest naming rule (lowercase, digits, `-`, `.`, `_`).
    func name() -> String? {
        guard let text = anyScalar, ManifestName.isValid(text) else {
            fail(ManifestName.rule)
            return nil
        }
        return text
    }

    func httpURL() -> String? {
        let expected = "an http:// or https:// URL such as https://api.example.com/v1"
        guard let text = anyScalar,
              let scheme = text.split(separator: ":", maxSplits: 1).first?.lowercased(),
              scheme == "http" || scheme == "https",
              text.lowercased().hasPrefix(scheme + "://"),
              text.count > scheme.count + 3,
              !text.contains(where: \.isWhitespace)
        else {
            fail(expected)
            return nil
        }
        return text
    }

    func list<T>(_ element: (ValueReader) -> T?) -> [T]? {
        guard case .sequence(let sequence) = node else {
            fail("a list")
            return nil
        }
        var items: [T] = []
        var failed = false
        for (index, child) in sequence.enumerated() {
            let childPath = path.appending(index: index)
            if let location = scope.location(of: child) { scope.fieldLocations[childPath.description] = location }
            if let item = element(ValueReader(node: child, path: childPath, scope: scope)) {
                items.append(item)
            } else {
                failed = true
            }
        }
        return failed ? nil : items
    }

    /// A mapping with free-form keys, such as labels or headers.
    func map<T>(key validKey: (String) -> Bool = { !$0.isEmpty }, keyRule: String = "a non-empty key",
                _ element: (ValueReader) -> T?) -> [String: T]? {
        guard let object = ObjectReader(self) else { return nil }
        var values: [String: T] = [:]
        var failed = false
        for entry in object.entries {
            let childPath = path.appending(entry.key)
            guard validKey(entry.key) else {
                scope.report(entry.keyNode, childPath, "expected \(keyRule) as the key")
                failed = true
                continue
            }
            if let location = scope.location(of: entry.value) { scope.fieldLocations[childPath.description] = location }
            if let value = element(ValueReader(node: entry.value, path: childPath, scope: scope)) {
                values[entry.key] = value
            } else {
                failed = true
            }
        }
        return failed ? nil : values
    }

    func object<T>(_ body: (inout ObjectReader) -> T?) -> T? {
        guard var object = ObjectReader(self) else { return nil }
        let value = body(&object)
        object.finish()
        return value
    }
}

/// Reads a YAML mapping field by field; keys never asked for are reported as unknown by `finish()`.
struct ObjectReader {
    struct Entry {
        let key: String
        let keyNode: Node
        let value: Node
    }

    let node: Node
    let path: FieldPath
    let scope: DocumentScope
    let entries: [Entry]
    private var knownKeys: [String] = []

    init?(_ reader: ValueReader) {
        guard case .mapping(let mapping) = reader.node else {
            reader.fail("a mapping of fields (key: value)")
            return nil
        }
        node = reader.node
        path = reader.path
        scope = reader.scope
        // Yams already refuses duplicate keys while parsing.
        var entries: [Entry] = []
        var merged: [Entry] = []
        for (keyNode, value) in mapping {
            guard case .scalar(let keyScalar) = keyNode else {
                scope.report(keyNode, path, "expected a plain field name as the key, got \(keyNode.shortDescription)")
                continue
            }
            if keyScalar.string == "<<" && keyScalar.style != .singleQuoted && keyScalar.style != .doubleQuoted {
                merged += Self.mergeEntries(value, keyNode: keyNode, path: path, scope: scope)
                continue
            }
            entries.append(Entry(key: keyScalar.string, keyNode: keyNode, value: value))
        }
        // YAML merge keys (`<<: *defaults`): merged fields count unless the mapping sets them itself.
        for entry in merged where !entries.contains(where: { $0.key == entry.key }) {
            entries.append(entry)
        }
        self.entries = entries
    }

    var location: SourceLocation? { scope.location(of: node) }

    private static func mergeEntries(_ value: Node, keyNode: Node, path: FieldPath, scope: DocumentScope) -> [Entry] {
        let sources: [Node]
        switch value {
        case .mapping: sources = [value]
        case .sequence(let sequence): sources = Array(sequence)
        default: sources = []
        }
        var entries: [Entry] = []
        for source in sources {
            guard case .mapping(let mapping) = source else {
                scope.report(keyNode, path.appending("<<"), "a merge key (<<) takes a mapping or a list of mappings")
                return []
            }
            for (key, child) in mapping {
                guard case .scalar(let keyScalar) = key, !entries.contains(where: { $0.key == keyScalar.string }) else { continue }
                entries.append(Entry(key: keyScalar.string, keyNode: key, value: child))
            }
        }
        if sources.isEmpty { scope.report(keyNode, path.appending("<<"), "a merge key (<<) takes a mapping or a list of mappings") }
        return entries
    }

    /// The value of an optional field; `nil` when absent or null.
    mutating func field(_ key: String) -> ValueReader? {
        knownKeys.append(key)
        guard let entry = entries.first(where: { $0.key == key }), !entry.value.isNull else { return nil }
        let childPath = path.appending(key)
        if let location = scope.location(of: entry.value) { scope.fieldLocations[childPath.description] = location }
        return ValueReader(node: entry.value, path: childPath, scope: scope)
    }

    /// An optional field parsed with `parse`; `nil` when absent, null or invalid (invalid is reported).
    mutating func optional<T>(_ key: String, _ parse: (ValueReader) -> T?) -> T? {
        field(key).flatMap(parse)
    }

    /// A field with a default; the default also stands in when the value is invalid (which is reported).
    mutating func value<T>(_ key: String, default defaultValue: T, _ parse: (ValueReader) -> T?) -> T {
        field(key).flatMap(parse) ?? defaultValue
    }

    /// A nested mapping read field by field, with unknown fields reported.
    mutating func nested<T>(_ key: String, _ body: (inout ObjectReader) -> T?) -> T? {
        field(key)?.object(body)
    }

    func has(_ key: String) -> Bool {
        entries.contains { $0.key == key && !$0.value.isNull }
    }

    /// The value of a required field; reports it missing at the enclosing mapping.
    mutating func required(_ key: String, expected: String) -> ValueReader? {
        guard let value = field(key) else {
            scope.report(node, path.appending(key), "required field is missing (expected \(expected))")
            return nil
        }
        return value
    }

    func report(_ key: String, _ message: String) {
        let target = entries.first(where: { $0.key == key })?.value ?? node
        scope.report(target, path.appending(key), message)
    }

    /// Reports every field the kind does not define, suggesting the closest known name.
    func finish() {
        for entry in entries where !knownKeys.contains(entry.key) {
            var message = "unknown field"
            if let suggestion = closestMatch(to: entry.key, among: knownKeys) {
                message += "; did you mean \"\(suggestion)\"?"
            } else {
                message += "; known fields here: " + knownKeys.joined(separator: ", ")
            }
            scope.report(entry.keyNode, path.appending(entry.key), message)
        }
    }
}

/// The closest candidate by edit distance, if it is close enough to be a likely typo.
func closestMatch(to word: String, among candidates: [String]) -> String? {
    let lowered = word.lowercased()
    let scored = candidates.map { ($0, editDistance(lowered, $0.lowercased())) }
    guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
    return best.1 <= max(1, word.count / 3) ? best.0 : nil
}

func editDistance(_ lhs: String, _ rhs: String) -> Int {
    let a = Array(lhs), b = Array(rhs)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = previous
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
