/// The simulator's text: a pure function of the conversation, so two replicas (or a replica
/// continuing another's partial answer) produce the same bytes.
public enum SimulatedText {
    static let words = [
        "the", "model", "answers", "with", "simulated", "text", "that", "depends", "only", "on", "your",
        "conversation", "so", "every", "replica", "writes", "same", "words", "in", "order", "and", "a",
        "stream", "can", "continue", "elsewhere", "without", "seam", "tokens", "flow", "through", "gateway",
        "quickly", "while", "budgets", "hold", "routes", "choose", "cheapest", "model", "clears", "bar",
        "latency", "stays", "low", "under", "load", "shadows", "compare", "outputs", "quietly", "before",
        "traffic", "moves", "replicas", "scale", "down", "zero", "when", "idle", "warm", "pools", "wait",
        "ready",
        // Two-, three- and four-byte UTF-8, so that faults can land inside a character.
        "café", "naïve", "größe", "日本語", "🚀",
    ]

    /// FNV-1a, 64-bit: stable across runs and platforms, unlike `Hasher`.
    public static func fingerprint(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }

    /// The whole answer for a conversation, as tokens (each token one word with its leading space):
    /// 8 to 32 of them, or exactly `length` when given.
    public static func tokens(fingerprint: UInt64, choice: Int, length: Int? = nil) -> [String] {
        var generator = SplitMix64(seed: fingerprint &+ UInt64(choice) &* 0x9E37_79B9_7F4A_7C15)
        let natural = 8 + Int(generator.next() % 25)
        let count = length ?? natural
        var tokens: [String] = []
        for index in 0..<count {
            var word = words[Int(generator.next() % UInt64(words.count))]
            if index == 0 { word = word.prefix(1).uppercased() + word.dropFirst() }
            if index == count - 1 { word += "." }
            tokens.append(index == 0 ? word : " " + word)
        }
        return tokens
    }

    /// The tokens still to come after `partial`, when `partial` is a prefix of the answer: a token
    /// cut in the middle is finished first. `nil` when `partial` is not a prefix.
    public static func continuation(of tokens: [String], after partial: String) -> [String]? {
        var consumed = ""
        for (index, token) in tokens.enumerated() {
            let next = consumed + token
            if next.count > partial.count {
                guard next.hasPrefix(partial) else { return nil }
                let rest = String(next.dropFirst(partial.count))
                return [rest] + tokens[(index + 1)...]
            }
            consumed = next
            if consumed == partial { return Array(tokens[(index + 1)...]) }
            guard partial.hasPrefix(consumed) else { return nil }
        }
        return consumed == partial ? [] : nil
    }
}

/// A small, fast, seedable generator (Steele et al.), for deterministic choices.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
