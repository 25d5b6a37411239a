/// A length of time written in manifests as `500ms`, `2s`, `10m`, `1h`, or combined like `1m30s`.
public struct LumenDuration: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var milliseconds: Int64

    public init(milliseconds: Int64) {
        self.milliseconds = milliseconds
    }

    public static func seconds(_ seconds: Int64) -> LumenDuration {
        LumenDuration(milliseconds: seconds * 1000)
    }

    /// Largest first; `ms` is tried before `m` when matching.
    private static let units: [(suffix: String, milliseconds: Int64)] = [
        ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1),
    ]

    /// Parses `2s`, `500ms`, `1h30m`; `nil` for anything else: a bare number has no unit, and units
    /// appear at most once, largest first.
    public init?(parsing text: String) {
        var rest = Substring(text)
        var total: Int64 = 0
        var nextUnit = 0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix(while: { $0.isASCII && $0.isNumber })
            guard !digits.isEmpty, let amount = Int64(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            let match = rest.hasPrefix("ms") ? 3 : Self.units.firstIndex(where: { rest.hasPrefix($0.suffix) })
            guard let match, match >= nextUnit else { return nil }
            let unit = Self.units[match]
            nextUnit = match + 1
            rest = rest.dropFirst(unit.suffix.count)
            let (product, overflowProduct) = amount.multipliedReportingOverflow(by: unit.milliseconds)
            let (sum, overflowSum) = total.addingReportingOverflow(product)
            guard !overflowProduct, !overflowSum else { return nil }
            total = sum
        }
        self.milliseconds = total
    }

    /// The shortest exact spelling in one unit: `90s`, `10m`, `1500ms`.
    public var description: String {
        if milliseconds == 0 { return "0s" }
        for (suffix, size) in [("h", Int64(3_600_000)), ("m", 60_000), ("s", 1000)] where milliseconds % size == 0 {
            return "\(milliseconds / size)\(suffix)"
        }
        return "\(milliseconds)ms"
    }

    public static func < (lhs: LumenDuration, rhs: LumenDuration) -> Bool {
        lhs.milliseconds < rhs.milliseconds
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let parsed = LumenDuration(parsing: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a duration: \(text)")
        }
        self = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension LumenDuration {
    /// The same length as a Swift `Duration`, for sleeping and timeouts.
    public var duration: Duration { .milliseconds(milliseconds) }
}
