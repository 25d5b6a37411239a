import Foundation
import LumenJinja

/// The fixtures that `scripts/chat-template-expected.py` writes from real jinja2. They are
/// found next to this file (`#filePath`), so the tests need no resource bundle.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    /// `strftime_now` in the fixtures reads 2024-07-26 14:05:09 (taken as UTC here).
    static let now: Date = {
        var components = DateComponents()
        components.year = 2024
        components.month = 7
        components.day = 26
        components.hour = 14
        components.minute = 5
        components.second = 9
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = utc
        return calendar.date(from: components) ?? Date(timeIntervalSince1970: 1_722_002_709)
    }()

    static let utc = TimeZone(identifier: "UTC") ?? TimeZone(secondsFromGMT: 0) ?? .current

    static func templateSource(_ name: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent("templates").appendingPathComponent(name),
                   encoding: .utf8)
    }

    static func chatCases() throws -> [FixtureCase] {
        try load("chat-template-cases.json") { entry in
            guard case .string(let template)? = entry["template"], case .string(let name)? = entry["case"] else {
                return nil
            }
            return (template + " / " + name, try templateSource(template))
        }
    }

    static func inlineCases() throws -> [FixtureCase] {
        try load("inline-cases.json") { entry in
            guard case .string(let name)? = entry["name"], case .string(let source)? = entry["template"] else {
                return nil
            }
            return (name, source)
        }
    }

    private static func load(_ file: String, identify: (TemplateValue) throws -> (String, String)?) throws
        -> [FixtureCase]
    {
        let data = try Data(contentsOf: directory.appendingPathComponent(file))
        let root = try TemplateValue(jsonBytes: Array(data))
        guard case .array(let entries)? = root["cases"] else { throw FixtureError.malformed(file) }
        return try entries.map { entry in
            guard let (name, source) = try identify(entry), case .object(let context)? = entry["context"] else {
                throw FixtureError.malformed(file)
            }
            let outcome: FixtureCase.Outcome
            if case .string(let expected)? = entry["expected"] {
                outcome = .output(expected)
            } else if case .string(let kind)? = entry["error"]?["kind"],
                case .string(let message)? = entry["error"]?["message"]
            {
                outcome = .error(kind: kind, message: message)
            } else {
                throw FixtureError.malformed(file)
            }
            var variables: [String: TemplateValue] = [:]
            for (key, value) in context { variables[key] = value }
            return FixtureCase(name: name, source: source, context: variables, outcome: outcome)
        }
    }
}

enum FixtureError: Error {
    case malformed(String)
}

struct FixtureCase: Sendable, CustomStringConvertible {
    enum Outcome: Sendable {
        case output(String)
        /// kind is the generator's: "syntax", "raised" or "runtime".
        case error(kind: String, message: String)
    }

    let name: String
    let source: String
    let context: [String: TemplateValue]
    let outcome: Outcome

    var description: String { name }
}
