public import Foundation

/// An amount of US dollars, kept as an exact decimal (never a binary float).
public struct USD: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var amount: Decimal

    public init(_ amount: Decimal) {
        self.amount = amount
    }

    /// Parses a plain decimal such as `2.50`, `0.15` or `3`; a sign, exponent or currency symbol is rejected.
    public init?(parsing text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count),
              parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))
        else { return nil }
        self.amount = value
    }

    public var description: String {
        amount.description
    }

    public static func < (lhs: USD, rhs: USD) -> Bool {
        lhs.amount < rhs.amount
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            guard let parsed = USD(parsing: text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a USD amount: \(text)")
            }
            self = parsed
        } else {
            self.amount = try container.decode(Decimal.self)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
