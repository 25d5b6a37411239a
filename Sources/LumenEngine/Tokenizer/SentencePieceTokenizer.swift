import Foundation

/// The SentencePiece-style tokenizer of llama-family GGUF files (`tokenizer.ggml.model: llama`):
/// spaces become "▁" (with one in front of the text), then adjacent pieces are merged, the pair
/// with the highest vocabulary score first (the leftmost on a tie), while their concatenation is in
/// the vocabulary; what is left outside it is spelt as byte tokens (`<0x41>`). It follows
/// llama.cpp's `llm_tokenizer_spm`, so both cut a text into the same tokens.
public struct SentencePieceTokenizer: Sendable {
    public enum TokenType: Int32, Sendable {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    public let pieces: [String]
    public let scores: [Float]
    public let types: [TokenType]
    public let unknown: Int
    /// By UTF-8 bytes, not String equality (which would match "e" + U+0301 with "é" where llama.cpp does not).
    private let ids: [[UInt8]: Int]
    private let byteTokens: [Int]

    static let space = "\u{2581}"

    public init(pieces: [String], scores: [Float], types: [TokenType], unknown: Int) throws(TokenizerError) {
        guard pieces.count == scores.count, pieces.count == types.count, !pieces.isEmpty else {
            throw TokenizerError("the vocabulary's pieces, scores and types differ in length (\(pieces.count), \(scores.count), \(types.count))")
        }
        self.pieces = pieces
        self.scores = scores
        self.types = types
        self.unknown = unknown
        var ids: [[UInt8]: Int] = [:]
        for (id, piece) in pieces.enumerated() where types[id] != .byte { ids[Array(piece.utf8)] = ids[Array(piece.utf8)] ?? id }
        self.ids = ids
        var byteTokens = Array(repeating: unknown, count: 256)
        for (id, piece) in pieces.enumerated() where types[id] == .byte {
            if let value = Self.byteValue(piece) { byteTokens[Int(value)] = id }
        }
        self.byteTokens = byteTokens
    }

    /// `<0x41>` → 0x41.
    static func byteValue(_ piece: String) -> UInt8? {
        guard piece.hasPrefix("<0x"), piece.hasSuffix(">"), piece.count == 6 else { return nil }
        return UInt8(piece.dropFirst(3).dropLast(), radix: 16)
    }

    /// Token ids for `text` (no BOS; the caller adds it when the model wants one).
    public func encode(_ text: String, addSpacePrefix: Bool = true) -> [Int] {
        guard !text.isEmpty else { return [] }
        let normalized = (addSpacePrefix ? Self.space : "") + text.replacingOccurrences(of: " ", with: Self.space)
        // Symbols: one per code point (as llama.cpp splits UTF-8), linked left to right.
        var symbols = normalized.unicodeScalars.map { Array(String($0).utf8) }
        var alive = Array(repeating: true, count: symbols.count)
        var next = Array(1...symbols.count)
        var previous = Array(-1..<(symbols.count - 1))
        var queue = MergeHeap<MergeQueue.Candidate>()
        func consider(_ left: Int, _ right: Int) {
            guard left >= 0, right < symbols.count, let id = ids[symbols[left] + symbols[right]] else { return }
            queue.push(MergeQueue.Candidate(score: scores[id], left: left, right: right, text: symbols[left] + symbols[right]))
        }
        for index in 0..<(symbols.count - 1) { consider(index, index + 1) }
        while let candidate = queue.pop() {
            // Stale: one side was merged away or changed since this pair was queued.
            guard alive[candidate.left], alive[candidate.right], next[candidate.left] == candidate.right,
                  symbols[candidate.left] + symbols[candidate.right] == candidate.text else { continue }
            symbols[candidate.left] = candidate.text
            alive[candidate.right] = false
            next[candidate.left] = next[candidate.right]
            if next[candidate.left] < symbols.count { previous[next[candidate.left]] = candidate.left }
            consider(previous[candidate.left], candidate.left)
            consider(candidate.left, next[candidate.left])
        }
        var tokens: [Int] = []
        var index = 0
        while index < symbols.count {
            if let id = ids[symbols[index]] {
                tokens.append(id)
            } else {
                tokens += symbols[index].map { byteTokens[Int($0)] }
            }
            index = next[index]
        }
        return tokens
    }

    /// The text of `tokens`: byte tokens joined back into UTF-8, "▁" as spaces, control tokens
    /// left out; with `stripLeadingSpace`, the space the encoder put in front is dropped.
    public func decode(_ tokens: [Int], stripLeadingSpace: Bool) -> String {
        var bytes: [UInt8] = []
        for token in tokens where token >= 0 && token < pieces.count {
            switch types[token] {
            case .byte: if let value = Self.byteValue(pieces[token]) { bytes.append(value) }
            case .control, .unused: continue
            default: bytes += Array(pieces[token].replacingOccurrences(of: Self.space, with: " ").utf8)
            }
        }
        var text = String(decoding: bytes, as: UTF8.self)
        if stripLeadingSpace && text.hasPrefix(" ") { text.removeFirst() }
        return text
    }
}

/// Merge candidates: highest score first, then leftmost.
private enum MergeQueue {
    struct Candidate: MergeOrder {
        var score: Float
        var left: Int
        var right: Int
        var text: [UInt8]

        func precedes(_ other: Candidate) -> Bool {
            score != other.score ? score > other.score : left < other.left
        }
    }
}

/// A vocabulary that cannot be used, and why.
public struct TokenizerError: Error, CustomStringConvertible {
    public var description: String

    init(_ description: String) {
        self.description = description
    }
}

extension SentencePieceTokenizer {
    /// The tokenizer a GGUF file describes in its `tokenizer.ggml.*` metadata.
    public init(gguf file: GGUFFile) throws(TokenizerError) {
        let model = file["tokenizer.ggml.model"]?.stringValue ?? "(none)"
        guard model == "llama" else {
            throw TokenizerError("\(file.path) uses tokenizer \(model); SentencePieceTokenizer reads SentencePiece (llama) vocabularies, "
                                 + "BPETokenizer byte-level BPE (gpt2) ones; loadTokenizer(gguf:) picks the right one")
        }
        guard let tokens = file["tokenizer.ggml.tokens"]?.arrayValue?.compactMap(\.stringValue), !tokens.isEmpty else {
            throw TokenizerError("\(file.path) has no tokenizer.ggml.tokens; it is not a complete model file")
        }
        let scores = file["tokenizer.ggml.scores"]?.arrayValue?.compactMap { $0.doubleValue.map(Float.init) }
            ?? Array(repeating: 0, count: tokens.count)
        let types = file["tokenizer.ggml.token_type"]?.arrayValue?.map { TokenType(rawValue: Int32($0.intValue ?? 1)) ?? .normal }
            ?? Array(repeating: .normal, count: tokens.count)
        try self.init(pieces: tokens, scores: scores, types: types, unknown: file["tokenizer.ggml.unknown_token_id"]?.intValue ?? 0)
    }
}
