extension TinyModel {
    /// The BPE vocabulary's control tokens, after its other pieces.
    static let bpeControlTokens = ["<|begin_of_text|>", "<|end_of_text|>", "<|im_start|>", "<|im_end|>"]

    /// A small byte-level BPE vocabulary, as Llama 3's and Qwen2's are built: the 256 byte tokens of
    /// GPT-2's alphabet (in its order), then the pieces of merges learnt from `words` (each with and
    /// without a space in front, "Ġ"), until every one of those is a single token; then the control
    /// tokens. Training is plain BPE: each round merges the most frequent adjacent pair, the first
    /// seen on a tie, so the vocabulary is the same on every run.
    public static func bpeVocabulary() -> (pieces: [String], types: [BPETokenizer.TokenType], merges: [String]) {
        trainedBPEVocabulary
    }

    private static let trainedBPEVocabulary: (pieces: [String], types: [BPETokenizer.TokenType], merges: [String]) = {
        var pieces = ByteAlphabet.order.map { String(ByteAlphabet.scalars[Int($0)]) }
        var ids = Dictionary(uniqueKeysWithValues: pieces.enumerated().map { ($1, $0) })
        let byteIds = Dictionary(uniqueKeysWithValues: ByteAlphabet.order.enumerated().map { ($1, $0) })
        var corpus = words.flatMap { [Array($0.utf8), Array(" \($0)".utf8)] }.map { $0.map { byteIds[$0]! } }
        var merges: [String] = []
        while true {
            var counts: [Int: (count: Int, first: Int)] = [:]
            var seen = 0
            for word in corpus {
                for (left, right) in zip(word, word.dropFirst()) {
                    let pair = left << 32 | right
                    counts[pair, default: (0, seen)].count += 1
                    seen += 1
                }
            }
            guard let best = counts.max(by: { $0.value.count != $1.value.count ? $0.value.count < $1.value.count : $0.value.first > $1.value.first })?.key
            else { break }
            let (left, right) = (best >> 32, best & 0xFFFF_FFFF)
            let text = pieces[left] + pieces[right]
            let merged = ids[text] ?? pieces.count
            if merged == pieces.count {
                pieces.append(text)
                ids[text] = merged
            }
            merges.append(pieces[left] + " " + pieces[right])
            for index in corpus.indices {
                var word: [Int] = []
                var position = 0
                while position < corpus[index].count {
                    if position + 1 < corpus[index].count && corpus[index][position] == left && corpus[index][position + 1] == right {
                        word.append(merged)
                        position += 2
                    } else {
                        word.append(corpus[index][position])
                        position += 1
                    }
                }
                corpus[index] = word
            }
        }
        var types = Array(repeating: BPETokenizer.TokenType.normal, count: pieces.count)
        pieces += bpeControlTokens
        types += Array(repeating: .control, count: bpeControlTokens.count)
        return (pieces, types, merges)
    }()

    /// The BPE vocabulary's metadata, as llama.cpp's converter writes Llama 3 (`llama-bpe`, BOS added)
    /// and Qwen2 (`qwen2`, no BOS) files, with ChatML's chat template for both.
    func setBPETokenizer(in writer: inout GGUFWriter) {
        let vocabulary = Self.bpeVocabulary()
        let control = { (text: String) in UInt32(vocabulary.pieces.lastIndex(of: text)!) }
        writer.set("tokenizer.ggml.model", .string("gpt2"))
        writer.set("tokenizer.ggml.pre", .string(architecture == .qwen2 ? "qwen2" : "llama-bpe"))
        writer.set("tokenizer.ggml.tokens", .array(.string, vocabulary.pieces.map(GGUFValue.string)))
        writer.set("tokenizer.ggml.token_type", .array(.int32, vocabulary.types.map { .int32($0.rawValue) }))
        writer.set("tokenizer.ggml.merges", .array(.string, vocabulary.merges.map(GGUFValue.string)))
        writer.set("tokenizer.ggml.bos_token_id", .uint32(control("<|begin_of_text|>")))
        // The chat turn's end, so generation stops where ChatML's assistant turn does.
        writer.set("tokenizer.ggml.eos_token_id", .uint32(control("<|im_end|>")))
        writer.set("tokenizer.ggml.add_bos_token", .bool(architecture == .llama))
        writer.set("tokenizer.ggml.add_eos_token", .bool(false))
        writer.set("tokenizer.chat_template", .string(
            "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"))
    }
}
