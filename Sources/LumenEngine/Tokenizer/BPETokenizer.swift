/// The byte-level BPE tokenizer of GGUF files with `tokenizer.ggml.model: gpt2` (Llama 3, Qwen2,
/// SmolLM): the pre-tokenizer `tokenizer.ggml.pre` names cuts the text into words; each word's UTF-8
/// bytes are spelt in GPT-2's byte alphabet (one character per byte), and adjacent pieces are
/// merged by `tokenizer.ggml.merges`, the pair of lowest rank first (the leftmost on a tie). It
/// follows llama.cpp's `llm_tokenizer_bpe`, so both cut a text into the same tokens.
public struct BPETokenizer: Sendable {
    /// GGUF's token types, the same for every tokenizer kind.
    public typealias TokenType = SentencePieceTokenizer.TokenType

    public let pieces: [String]
    public let types: [TokenType]
    public let preTokenizer: PreTokenizer
    /// Token ids by the bytes a piece spells (its characters read through the byte alphabet); the
    /// last of equal pieces wins, as in llama.cpp.
    private let ids: [[UInt8]: Int]
    /// Merge ranks by the bytes of the pair's two sides; the first of equal merges wins.
    private let ranks: [Pair: Int]
    /// Each byte's own token (-1 where the vocabulary lacks it).
    private let byteTokens: [Int]
    /// User-defined tokens, read as themselves in any text (llama.cpp does so even without
    /// special-token parsing), the longest first.
    private let userDefined: [(bytes: [UInt8], id: Int)]

    struct Pair: Hashable {
        var left: [UInt8]
        var right: [UInt8]
    }

    /// A vocabulary from its parts: `merges` as GGUF stores them ("Ġt he", by rank).
    public init(pieces: [String], types: [TokenType], merges: [String], preTokenizer: PreTokenizer) throws(TokenizerError) {
        guard pieces.count == types.count, !pieces.isEmpty else {
            throw TokenizerError("the vocabulary's pieces and types differ in length (\(pieces.count), \(types.count)) or are empty")
        }
        self.pieces = pieces
        self.types = types
        self.preTokenizer = preTokenizer
        var ids: [[UInt8]: Int] = [:]
        for (id, piece) in pieces.enumerated() {
            // llama.cpp names an empty piece so; it matches no text either way.
            if let bytes = ByteAlphabet.bytes(piece.isEmpty ? "[EMPTY_\(id)]" : piece) { ids[bytes] = id }
        }
        self.ids = ids
        byteTokens = (0..<256).map { ids[[UInt8($0)]] ?? -1 }
        var ranks: [Pair: Int] = [:]
        for (rank, merge) in merges.enumerated() {
            // Split at the first space after the first byte, as llama.cpp does.
            let utf8 = Array(merge.utf8)
            guard utf8.count > 2, let space = utf8[1...].firstIndex(of: 0x20),
                  let left = ByteAlphabet.bytes(String(decoding: utf8[..<space], as: UTF8.self)),
                  let right = ByteAlphabet.bytes(String(decoding: utf8[(space + 1)...], as: UTF8.self)) else { continue }
            let pair = Pair(left: left, right: right)
            if ranks[pair] == nil { ranks[pair] = rank }
        }
        self.ranks = ranks
        userDefined = pieces.indices
            .filter { types[$0] == .userDefined && !pieces[$0].isEmpty }
            .map { (Array(pieces[$0].utf8), $0) }
            .sorted { $0.bytes.count != $1.bytes.count ? $0.bytes.count > $1.bytes.count : $0.id < $1.id }
    }

    /// Token ids for `text` (no BOS; no control tokens are read in it).
    public func encode(_ text: String) -> [Int] {
        var tokens: [Int] = []
        for fragment in partition(Array(text.utf8)) {
            switch fragment {
            case .token(let id):
                tokens.append(id)
            case .text(let bytes):
                for word in preTokenizer.words(String(decoding: bytes, as: UTF8.self)) { appendWord(word, to: &tokens) }
            }
        }
        return tokens
    }

    /// The text of `tokens`: normal pieces read back through the byte alphabet, user-defined ones
    /// as they are, control tokens left out. An unfinished UTF-8 character shows as U+FFFD.
    public func decode(_ tokens: [Int]) -> String {
        var bytes: [UInt8] = []
        for token in tokens where token >= 0 && token < pieces.count {
            switch types[token] {
            case .normal:
                for scalar in pieces[token].unicodeScalars {
                    if let byte = ByteAlphabet.byte(scalar) { bytes.append(byte) } else { bytes += Array(String(scalar).utf8) }
                }
            case .userDefined:
                bytes += Array(pieces[token].utf8)
            case .unknown, .control, .unused, .byte:
                continue
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private enum Fragment {
        case text([UInt8])
        case token(Int)
    }

    /// The text cut at user-defined tokens, the longest tried first (llama.cpp's `tokenizer_st_partition`).
    private func partition(_ text: [UInt8]) -> [Fragment] {
        var fragments: [Fragment] = [.text(text)]
        for (needle, id) in userDefined {
            var next: [Fragment] = []
            for fragment in fragments {
                guard case .text(let bytes) = fragment else {
                    next.append(fragment)
                    continue
                }
                var start = 0
                var index = 0
                while index + needle.count <= bytes.count {
                    if bytes[index] == needle[0] && bytes[index..<(index + needle.count)].elementsEqual(needle) {
                        if index > start { next.append(.text(Array(bytes[start..<index]))) }
                        next.append(.token(id))
                        index += needle.count
                        start = index
                    } else {
                        index += 1
                    }
                }
                if start < bytes.count { next.append(.text(Array(bytes[start...]))) }
            }
            fragments = next
        }
        return fragments
    }

    /// One word's tokens: its bytes merged pairwise by rank; a piece the vocabulary lacks is spelt byte by byte.
    private func appendWord(_ word: [UInt8], to tokens: inout [Int]) {
        guard !word.isEmpty else { return }
        if preTokenizer.ignoresMerges, let id = ids[word] {
            tokens.append(id)
            return
        }
        // One symbol per byte, as a length at its start; next/previous link the live ones.
        var length = Array(repeating: 1, count: word.count)
        var next = Array(1...word.count)
        var previous = Array(-1..<(word.count - 1))
        var queue = MergeHeap<BigramQueue.Bigram>()
        func consider(_ left: Int, _ right: Int) {
            guard left >= 0, right < word.count else { return }
            let pair = Pair(left: Array(word[left..<right]), right: Array(word[right..<(right + length[right])]))
            guard let rank = ranks[pair] else { return }
            queue.push(.init(rank: rank, left: left, right: right, size: length[left] + length[right]))
        }
        for index in 0..<(word.count - 1) { consider(index, index + 1) }
        while let bigram = queue.pop() {
            // Stale: one side was merged away, or the right one grew, since the pair was queued.
            guard length[bigram.left] > 0, length[bigram.right] > 0,
                  length[bigram.left] + length[bigram.right] == bigram.size else { continue }
            length[bigram.left] = bigram.size
            length[bigram.right] = 0
            next[bigram.left] = next[bigram.right]
            if next[bigram.left] < word.count { previous[next[bigram.left]] = bigram.left }
            consider(previous[bigram.left], bigram.left)
            consider(bigram.left, next[bigram.left])
        }
        var index = 0
        while index < word.count {
            let symbol = Array(word[index..<(index + length[index])])
            if let id = ids[symbol] {
                tokens.append(id)
            } else {
                tokens += symbol.map { byteTokens[Int($0)] }.filter { $0 >= 0 }
            }
            index = next[index]
        }
    }
}

extension BPETokenizer {
    /// The tokenizer a GGUF file describes in its `tokenizer.ggml.*` metadata.
    public init(gguf file: GGUFFile) throws(TokenizerError) {
        let model = file["tokenizer.ggml.model"]?.stringValue ?? "(none)"
        guard model == "gpt2" else {
            throw TokenizerError("\(file.path) uses tokenizer \(model); BPETokenizer reads byte-level BPE (gpt2) vocabularies, "
                                 + "SentencePieceTokenizer SentencePiece (llama) ones; loadTokenizer(gguf:) picks the right one")
        }
        guard let tokens = file["tokenizer.ggml.tokens"]?.arrayValue?.compactMap(\.stringValue), !tokens.isEmpty else {
            throw TokenizerError("\(file.path) has no tokenizer.ggml.tokens; it is not a complete model file")
        }
        guard let merges = file["tokenizer.ggml.merges"]?.arrayValue?.compactMap(\.stringValue) else {
            throw TokenizerError("\(file.path) has no tokenizer.ggml.merges, which a gpt2 (BPE) vocabulary needs; convert the model again")
        }
        let types = file["tokenizer.ggml.token_type"]?.arrayValue?.map { TokenType(rawValue: Int32($0.intValue ?? 1)) ?? .normal }
            ?? Array(repeating: .normal, count: tokens.count)
        let preTokenizer: PreTokenizer
        do {
            preTokenizer = try PreTokenizer(ggufName: file["tokenizer.ggml.pre"]?.stringValue)
        } catch {
            throw TokenizerError("\(file.path): \(error.description)")
        }
        try self.init(pieces: tokens, types: types, merges: merges, preTokenizer: preTokenizer)
    }
}

extension BPETokenizer: TextTokenizer {
    public var count: Int { pieces.count }

    /// BPE puts no space in front of the text, so `atStart` changes nothing.
    public func encode(_ text: String, atStart: Bool) -> [Int] { encode(text) }

    public var controlTokens: [(id: Int, text: String)] {
        pieces.indices.filter { types[$0] == .control && !pieces[$0].isEmpty }.map { ($0, pieces[$0]) }
    }
}

/// GPT-2's byte alphabet: the printable bytes stand for themselves; the other 68 (controls, space,
/// DEL, 0x80–0xA0, the soft hyphen) are moved to U+0100 onwards in byte order, so " " is "Ġ" and "\n" is "Ċ".
enum ByteAlphabet {
    /// Each byte's character.
    static let scalars: [Unicode.Scalar] = {
        var moved: UInt32 = 0
        return (0..<256).map { byte in
            if isPrintable(UInt8(byte)) { return Unicode.Scalar(UInt8(byte)) }
            defer { moved += 1 }
            return Unicode.Scalar(256 + moved)!
        }
    }()

    /// The byte each character stands for, by its scalar value (-1: not in the alphabet).
    private static let bytesByScalar: [Int16] = {
        var table = Array(repeating: Int16(-1), count: 256 + 68)
        for (byte, scalar) in scalars.enumerated() { table[Int(scalar.value)] = Int16(byte) }
        return table
    }()

    /// GPT-2's order of the bytes, as its vocabulary (and Llama 3's, Qwen2's) lists them: the printable ones first.
    static let order: [UInt8] = (0..<256).map(UInt8.init).filter(isPrintable) + (0..<256).map(UInt8.init).filter { !isPrintable($0) }

    static func isPrintable(_ byte: UInt8) -> Bool {
        (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
    }

    static func byte(_ scalar: Unicode.Scalar) -> UInt8? {
        guard Int(scalar.value) < bytesByScalar.count, bytesByScalar[Int(scalar.value)] >= 0 else { return nil }
        return UInt8(bytesByScalar[Int(scalar.value)])
    }

    /// The bytes a piece spells, or nil if a character is outside the alphabet.
    static func bytes(_ piece: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(piece.unicodeScalars.count)
        for scalar in piece.unicodeScalars {
            guard let byte = byte(scalar) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }

    /// `bytes` spelt in the alphabet.
    static func piece(_ bytes: some Sequence<UInt8>) -> String {
        var piece = String.UnicodeScalarView()
        for byte in bytes { piece.append(scalars[Int(byte)]) }
        return String(piece)
    }
}

/// Merge candidates: lowest rank first, then leftmost.
private enum BigramQueue {
    struct Bigram: MergeOrder {
        var rank: Int
        var left: Int
        var right: Int
        /// Bytes in the two symbols together when queued.
        var size: Int

        func precedes(_ other: Bigram) -> Bool {
            rank != other.rank ? rank < other.rank : left < other.left
        }
    }
}
