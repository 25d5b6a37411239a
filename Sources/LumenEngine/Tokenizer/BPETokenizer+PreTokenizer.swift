extension BPETokenizer {
    /// How text is cut into words before any merging: llama.cpp's pre-tokenizers, chosen by
    /// `tokenizer.ggml.pre`. Each is a hand-written scanner over Unicode scalars that cuts exactly
    /// where llama.cpp does: where it has its own scanner for a regular expression (GPT-2's,
    /// Llama 3's) this follows that scanner; elsewhere it follows the expression as llama.cpp runs it.
    /// Letters are `\p{L}`, numbers `\p{N}`, punctuation `\p{P}`, whitespace Unicode's White_Space.
    public enum PreTokenizer: Sendable, CaseIterable {
        /// Llama 3 (also Falcon 3, Pixtral): `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
        /// ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`; a word that is a token whole is
        /// taken whole, without merging (llama.cpp's `ignore_merges`).
        case llama3
        /// Qwen2 (also StableLM 2): Llama 3's expression with single digits (`\p{N}`), merges always applied.
        case qwen2
        /// GPT-2 (also Phi-2, MPT, OLMo): `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
        case gpt2
        /// SmolLM (also StarCoder, Command R): every digit alone (`\p{N}`), then GPT-2's.
        case smollm
        /// `default`, and a file without `tokenizer.ggml.pre`: llama.cpp's fallback, which cuts out
        /// runs of `[\p{P}$+<=>^~|]`, then applies GPT-2's, then cuts out runs of `\p{N}`, then
        /// groups of three ASCII digits.
        case `default`

        /// The `tokenizer.ggml.pre` values understood, and what each means: the names llama.cpp
        /// gives these expressions (GPT-2's is "gpt-2": llama.cpp refuses "gpt2" as unknown, as this does).
        public static let names: KeyValuePairs<String, PreTokenizer> = [
            "llama-bpe": .llama3, "llama3": .llama3, "llama-v3": .llama3, "falcon3": .llama3, "pixtral": .llama3,
            "qwen2": .qwen2, "deepseek-r1-qwen": .qwen2, "stablelm2": .qwen2, "megrez": .qwen2,
            "gpt-2": .gpt2, "phi-2": .gpt2, "mpt": .gpt2, "olmo": .gpt2,
            "smollm": .smollm, "starcoder": .smollm, "refact": .smollm, "command-r": .smollm, "codeshell": .smollm,
            "default": .default,
        ]

        /// The pre-tokenizer `tokenizer.ggml.pre` names (nil or empty when the file has none).
        public init(ggufName name: String?) throws(TokenizerError) {
            guard let name, !name.isEmpty else {
                self = .default
                return
            }
            guard let known = Self.names.first(where: { $0.key == name })?.value else {
                throw TokenizerError("tokenizer.ggml.pre is \"\(name)\", a pre-tokenizer lumen-engine does not know (it knows "
                                     + Self.names.map(\.key).joined(separator: ", ")
                                     + "); text would be cut into other tokens than the model was trained on, so use a model with one of those")
            }
            self = known
        }

        /// A word that is a token whole is taken whole (llama.cpp's `ignore_merges`, set for Llama 3).
        var ignoresMerges: Bool { self == .llama3 }

        /// `text` cut into words, each as its UTF-8 bytes.
        func words(_ text: String) -> [[UInt8]] {
            let scanner = WordScanner(text)
            let all = scanner.scalars.isEmpty ? [] : [0..<scanner.scalars.count]
            let words: [Range<Int>]
            switch self {
            case .llama3: words = all.flatMap { scanner.llama3($0, digits: 3) }
            case .qwen2: words = all.flatMap { scanner.llama3($0, digits: 1) }
            case .gpt2: words = all.flatMap(scanner.gpt2)
            case .smollm:
                words = all.flatMap { scanner.singles($0) { scanner.classes[$0].contains(.number) } }.flatMap(scanner.gpt2)
            case .default:
                let symbols: [Unicode.Scalar] = ["$", "+", "<", "=", ">", "^", "~", "|"]
                words = all
                    .flatMap { scanner.runs($0) { scanner.classes[$0].contains(.punctuation) || symbols.contains(scanner.scalars[$0]) } }
                    .flatMap(scanner.gpt2)
                    .flatMap { scanner.runs($0) { scanner.classes[$0].contains(.number) } }
                    .flatMap(scanner.digitTriples)
            }
            return words.map { Array(scanner.utf8[scanner.offsets[$0.lowerBound]..<scanner.offsets[$0.upperBound]]) }
        }
    }
}

/// What the pre-tokenizers ask of a character.
struct ScalarClass: OptionSet {
    let rawValue: UInt8
    static let letter = ScalarClass(rawValue: 1)
    static let number = ScalarClass(rawValue: 2)
    static let whitespace = ScalarClass(rawValue: 4)
    static let punctuation = ScalarClass(rawValue: 8)

    /// Neither whitespace, letter nor number: `[^\s\p{L}\p{N}]`.
    var isOther: Bool { intersection([.letter, .number, .whitespace]).isEmpty }

    init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    init(_ scalar: Unicode.Scalar) {
        if scalar.isASCII {
            self = Self.ascii[Int(scalar.value)]
        } else {
            self = Self.classify(scalar)
        }
    }

    private static let ascii: [ScalarClass] = (0..<128).map { classify(Unicode.Scalar(UInt8($0))) }

    private static func classify(_ scalar: Unicode.Scalar) -> ScalarClass {
        var result: ScalarClass = scalar.properties.isWhitespace ? .whitespace : []
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            result.insert(.letter)
        case .decimalNumber, .letterNumber, .otherNumber:
            result.insert(.number)
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
             .finalPunctuation, .otherPunctuation:
            result.insert(.punctuation)
        default:
            break
        }
        return result
    }
}

/// A text as Unicode scalars with their classes, and the scanners that cut a range of it into words
/// (ranges of scalar indices, none empty, together covering the range).
struct WordScanner {
    let scalars: [Unicode.Scalar]
    let classes: [ScalarClass]
    let utf8: [UInt8]
    /// Where each scalar starts in `utf8`, and the end.
    let offsets: [Int]

    init(_ text: String) {
        scalars = Array(text.unicodeScalars)
        classes = scalars.map(ScalarClass.init)
        utf8 = Array(text.utf8)
        var offsets = [0]
        offsets.reserveCapacity(scalars.count + 1)
        for scalar in scalars { offsets.append(offsets[offsets.count - 1] + UTF8.width(scalar)) }
        self.offsets = offsets
    }

    /// Collects words: `cut(end)` ends the current word at `end` (if it has any scalars).
    private struct Cutter {
        var words: [Range<Int>] = []
        var start: Int

        mutating func cut(_ end: Int) {
            if end > start { words.append(start..<end) }
            start = end
        }
    }

    private func isNewline(_ index: Int) -> Bool {
        scalars[index] == "\r" || scalars[index] == "\n"
    }

    /// The length of a contraction ('s 't 'm 'd 're 've 'll) at `position`, or 0.
    private func contraction(at position: Int, in range: Range<Int>, ignoringCase: Bool) -> Int {
        guard scalars[position] == "'", position + 1 < range.upperBound else { return 0 }
        func letter(_ index: Int) -> Unicode.Scalar {
            let scalar = scalars[index]
            return ignoringCase && ("A"..."Z").contains(scalar) ? Unicode.Scalar(scalar.value + 32)! : scalar
        }
        let first = letter(position + 1)
        if ["s", "t", "m", "d"].contains(first) { return 2 }
        guard position + 2 < range.upperBound else { return 0 }
        switch (first, letter(position + 2)) {
        case ("r", "e"), ("v", "e"), ("l", "l"): return 3
        default: return 0
        }
    }

    /// GPT-2's expression, as llama.cpp's own scanner for it reads it.
    func gpt2(_ range: Range<Int>) -> [Range<Int>] {
        var cutter = Cutter(start: range.lowerBound)
        var position = range.lowerBound
        func classOf(_ index: Int) -> ScalarClass? { range.contains(index) ? classes[index] : nil }
        while position < range.upperBound {
            defer { position = cutter.start }
            let contraction = contraction(at: position, in: range, ignoringCase: false)
            if contraction > 0 {
                cutter.cut(position + contraction)
                continue
            }
            // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: an optional space, then a run of one kind.
            let space = scalars[position] == " "
            if let kind = space ? classOf(position + 1) : classes[position] {
                let run: ((ScalarClass) -> Bool)? =
                    kind.contains(.letter) ? { $0.contains(.letter) }
                    : kind.contains(.number) ? { $0.contains(.number) }
                    : kind.isOther ? { $0.isOther } : nil
                if let run {
                    var end = position + (space ? 1 : 0)
                    while let next = classOf(end), run(next) { end += 1 }
                    cutter.cut(end)
                    continue
                }
            }
            var spaces = 0
            while classOf(position + spaces)?.contains(.whitespace) == true { spaces += 1 }
            if spaces > 1 && position + spaces < range.upperBound {
                cutter.cut(position + spaces - 1)  // `\s+(?!\S)`: the last one goes with the next word
            } else {
                cutter.cut(position + max(spaces, 1))  // `\s+`, or a character nothing matched
            }
        }
        return cutter.words
    }

    /// Llama 3's expression (llama.cpp's own scanner for it) with numbers in groups of `digits`; with
    /// one digit it is Qwen2's, which llama.cpp runs as a regular expression to the same effect.
    func llama3(_ range: Range<Int>, digits: Int) -> [Range<Int>] {
        var cutter = Cutter(start: range.lowerBound)
        var position = range.lowerBound
        func classOf(_ index: Int) -> ScalarClass? { range.contains(index) ? classes[index] : nil }
        while position < range.upperBound {
            defer { position = cutter.start }
            let contraction = contraction(at: position, in: range, ignoringCase: true)
            if contraction > 0 {
                cutter.cut(position + contraction)
                continue
            }
            let kind = classes[position]
            // `[^\r\n\p{L}\p{N}]?\p{L}+`
            if !isNewline(position) && !kind.contains(.number)
                && (kind.contains(.letter) || classOf(position + 1)?.contains(.letter) == true) {
                var end = position + 1
                while classOf(end)?.contains(.letter) == true { end += 1 }
                cutter.cut(end)
                continue
            }
            // `\p{N}{1,3}` (or `\p{N}`), as many groups as there are digits
            if kind.contains(.number) {
                var end = position
                while classOf(end)?.contains(.number) == true {
                    end += 1
                    if end - cutter.start >= digits { cutter.cut(end) }
                }
                cutter.cut(end)
                continue
            }
            // ` ?[^\s\p{L}\p{N}]+[\r\n]*` (a lone space at the end of the text lands here too)
            let space = scalars[position] == " "
            if let next = space ? classOf(position + 1) : kind, !next.isOther {
                // not this alternative
            } else {
                var end = position + (space ? 1 : 0)
                while classOf(end)?.isOther == true { end += 1 }
                while end < range.upperBound && isNewline(end) { end += 1 }
                cutter.cut(end)
                continue
            }
            var spaces = 0
            var lastNewline: Int?
            while classOf(position + spaces)?.contains(.whitespace) == true {
                if isNewline(position + spaces) { lastNewline = position + spaces + 1 }
                spaces += 1
            }
            if let lastNewline {
                cutter.cut(lastNewline)  // `\s*[\r\n]+`
            } else if spaces > 1 && position + spaces < range.upperBound {
                cutter.cut(position + spaces - 1)  // `\s+(?!\S)`
            } else {
                cutter.cut(position + max(spaces, 1))  // `\s+`, or a character nothing matched
            }
        }
        return cutter.words
    }

    /// `[class]+` as llama.cpp splits with it: each run of matching scalars is a word, and so is
    /// each run between them.
    func runs(_ range: Range<Int>, _ matches: (Int) -> Bool) -> [Range<Int>] {
        var cutter = Cutter(start: range.lowerBound)
        for index in range.dropFirst() where matches(index) != matches(index - 1) { cutter.cut(index) }
        cutter.cut(range.upperBound)
        return cutter.words
    }

    /// `[class]`: each matching scalar is a word alone, and each run between them is one.
    func singles(_ range: Range<Int>, _ matches: (Int) -> Bool) -> [Range<Int>] {
        var cutter = Cutter(start: range.lowerBound)
        for index in range where matches(index) {
            cutter.cut(index)
            cutter.cut(index + 1)
        }
        cutter.cut(range.upperBound)
        return cutter.words
    }

    /// `[0-9][0-9][0-9]`: groups of three ASCII digits from the left, and what lies between them.
    func digitTriples(_ range: Range<Int>) -> [Range<Int>] {
        var cutter = Cutter(start: range.lowerBound)
        var index = range.lowerBound
        while index + 3 <= range.upperBound {
            if scalars[index..<(index + 3)].allSatisfy({ ("0"..."9").contains($0) }) {
                cutter.cut(index)
                cutter.cut(index + 3)
                index += 3
            } else {
                index += 1
            }
        }
        cutter.cut(range.upperBound)
        return cutter.words
    }
}
