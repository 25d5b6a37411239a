public import Foundation
public import LumenManifest
import Crypto

/// API keys: `lmn_` and 43 base62 characters from 32 random bytes. Only the SHA-256 hash and a
/// short display prefix are ever stored or pushed; the secret is shown once, at creation.
public enum APIKeySecret {
    public static let scheme = "lmn_"

    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return scheme + base62(bytes)
    }

    /// Lowercase hex SHA-256 of the whole key.
    public static func hash(_ secret: String) -> String {
        // Hex by table: `String(format:)` per byte cost more than the hash itself (seen in a profile).
        let digits = Array("0123456789abcdef".utf8)
        var hex = [UInt8]()
        hex.reserveCapacity(64)
        for byte in SHA256.hash(data: Data(secret.utf8)) {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: hex, as: UTF8.self)
    }

    /// What lists and logs show: the scheme and the first 6 characters.
    public static func displayPrefix(_ secret: String) -> String {
        String(secret.prefix(scheme.count + 6))
    }

    /// Whether `text` has the shape of a key (so a malformed one is told apart from an unknown one).
    public static func isWellFormed(_ text: String) -> Bool {
        text.hasPrefix(scheme) && text.count >= scheme.count + 40 && text.dropFirst(scheme.count).allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
    }

    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

    private static func base62(_ bytes: [UInt8]) -> String {
        var digits = bytes
        var output: [Character] = []
        while digits.contains(where: { $0 != 0 }) {
            var remainder = 0
            var next: [UInt8] = []
            for byte in digits {
                let value = remainder * 256 + Int(byte)
                let quotient = value / 62
                remainder = value % 62
                if !next.isEmpty || quotient != 0 { next.append(UInt8(quotient)) }
            }
            output.append(alphabet[remainder])
            digits = next
        }
        while output.count < 43 { output.append("0") }
        return String(output.reversed())
    }

    /// Compares two hashes in time independent of where they differ.
    public static func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
        let a = Array(lhs.utf8), b = Array(rhs.utf8)
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}

/// A key as the control plane stores it and pushes it: never the secret.
public struct APIKeyRecord: Codable, Sendable, Hashable {
    public var name: String
    public var hash: String
    public var prefix: String
    /// Routes the key may use; `nil` means every route and model.
    public var routes: [String]?
    public var requestsPerMinute: Int?
    public var tokensPerMinute: Int?
    public var maxStreams: Int?
    /// USD the key may spend per UTC day and month, on this agent's ledger.
    public var dailyBudget: USD?
    public var monthlyBudget: USD?
    public var createdAt: String
    public var revokedAt: String?

    public init(name: String, hash: String, prefix: String, routes: [String]?, requestsPerMinute: Int?,
                tokensPerMinute: Int?, maxStreams: Int?, dailyBudget: USD? = nil, monthlyBudget: USD? = nil,
                createdAt: String, revokedAt: String? = nil) {
        self.name = name
        self.hash = hash
        self.prefix = prefix
        self.routes = routes
        self.requestsPerMinute = requestsPerMinute
        self.tokensPerMinute = tokensPerMinute
        self.maxStreams = maxStreams
        self.dailyBudget = dailyBudget
        self.monthlyBudget = monthlyBudget
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}
