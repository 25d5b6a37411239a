/// Small llama-family models with seeded random weights and a small real vocabulary, written as
/// GGUF files that llama.cpp also loads: the models the tests, benchmarks and quickstart run.
public struct TinyModel: Sendable {
    public enum Architecture: String, Sendable {
        /// Llama 2/3, Mistral, SmolLM, TinyLlama.
        case llama
        /// Qwen2: biases on the query, key and value projections.
        case qwen2
    }

    /// The vocabulary's kind: SentencePiece (`tokenizer.ggml.model: llama`, Mistral's chat format)
    /// or byte-level BPE (`gpt2`, ChatML), as Llama 3 and Qwen2 models have.
    public enum TokenizerKind: String, Sendable, CaseIterable {
        case sentencePiece = "spm"
        case bpe
    }

    public var architecture = Architecture.llama
    public var tokenizer = TokenizerKind.sentencePiece
    public var embedding = 64
    public var layers = 2
    public var heads = 4
    public var kvHeads = 2
    public var feedForward = 128
    public var context = 512
    public var ropeBase: Float = 10_000
    public var rmsEpsilon: Float = 1e-5
    /// How the weight matrices are stored (norms and biases stay F32, as llama.cpp's converters keep them).
    public var weightType = TensorType.f32
    public var seed: UInt64 = 1
    /// Scales what blocks after the first add to the residual stream: below 1, the model stays
    /// close to its own first layer, so a 1-layer model of the same seed drafts for it well.
    public var laterLayerScale: Float = 1

    public init() {}

    /// Common English words and word pieces, with the prefixes that let the merges reach them.
    static let words = """
        the of and to in is that it for on with as was be by at this are from or an have not but they his her which one you all were \
        we can there their been has when who will more if no out so what up said about into than them only other new some could time \
        these two may then do first any my now such like our over man me even most made after also did many before must through back \
        years where much your way well down should because each just those people how too little state good very make world still own \
        see men work long get here between both life being under never day same another know while last might us great old year off \
        come since against go came right used take three model token gateway stream replica route lumen hello world answer question
        """.split(whereSeparator: \.isWhitespace).map(String.init)

    /// The vocabulary: `<unk>`, `<s>`, `</s>`, the 256 byte tokens, then pieces scored by how early
    /// they come (every prefix of a word piece is a piece too, so each one can be merged up to).
    public static func vocabulary() -> (pieces: [String], scores: [Float], types: [SentencePieceTokenizer.TokenType]) {
        var pieces = ["<unk>", "<s>", "</s>"]
        var types: [SentencePieceTokenizer.TokenType] = [.unknown, .control, .control]
        for byte in 0..<256 {
            pieces.append("<0x" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2) + ">")
            types.append(.byte)
        }
        var seen = Set(pieces)
        func add(_ piece: String) {
            guard seen.insert(piece).inserted else { return }
            pieces.append(piece)
            types.append(.normal)
        }
        for scalar in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?'\"-:;()".unicodeScalars { add(String(scalar)) }
        add(SentencePieceTokenizer.space)
        for word in words {
            let piece = SentencePieceTokenizer.space + word
            var prefix = ""
            for scalar in piece.unicodeScalars {
                prefix.unicodeScalars.append(scalar)
                if prefix.unicodeScalars.count > 1 { add(prefix) }
            }
        }
        // Earlier (shorter, more common) pieces merge first.
        let scores = pieces.indices.map { id in types[id] == .normal ? -Float(id) : 0 }
        return (pieces, scores, types)
    }

    /// The model as a GGUF writer, ready to write.
    public func writer() -> GGUFWriter {
        let vocab = tokenizer == .bpe ? Self.bpeVocabulary().pieces.count : Self.vocabulary().pieces.count
        let headDimension = embedding / heads
        let kvEmbedding = headDimension * kvHeads
        var writer = GGUFWriter()
        let arch = architecture.rawValue
        writer.set("general.architecture", .string(arch))
        writer.set("general.name", .string("lumen-tiny-\(arch)-\(embedding)x\(layers)-seed\(seed)"))
        writer.set("general.file_type", .uint32(weightType == .f32 ? 0 : weightType == .f16 ? 1 : 7))
        writer.set("\(arch).context_length", .uint32(UInt32(context)))
        writer.set("\(arch).embedding_length", .uint32(UInt32(embedding)))
        writer.set("\(arch).block_count", .uint32(UInt32(layers)))
        writer.set("\(arch).feed_forward_length", .uint32(UInt32(feedForward)))
        writer.set("\(arch).attention.head_count", .uint32(UInt32(heads)))
        writer.set("\(arch).attention.head_count_kv", .uint32(UInt32(kvHeads)))
        writer.set("\(arch).rope.dimension_count", .uint32(UInt32(headDimension)))
        writer.set("\(arch).rope.freq_base", .float32(ropeBase))
        writer.set("\(arch).attention.layer_norm_rms_epsilon", .float32(rmsEpsilon))
        setTokenizer(in: &writer)

        // Each tensor draws from its own stream, keyed by its name: models with the same seed and
        // shape share every tensor they both have (a 1-layer model is the first layer of an 8-layer one).
        func stream(_ name: String) -> SplitMix64 {
            SplitMix64(seed: name.utf8.reduce(seed ^ 0xCBF2_9CE4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 })
        }
        func matrix(_ name: String, columns: Int, rows: Int, scale: Float = 1) -> GGUFWriter.Tensor {
            // Uniform in ±1/sqrt(columns): activations keep their scale through the layers.
            let bound = scale / Float(columns).squareRoot()
            var random = stream(name)
            let values = (0..<(columns * rows)).map { _ in random.nextFloat(in: -bound...bound) }
            return .init(name: name, dimensions: [columns, rows], type: weightType, values: values)
        }
        func vector(_ name: String, _ count: Int, _ value: (inout SplitMix64) -> Float) -> GGUFWriter.Tensor {
            var random = stream(name)
            return .init(name: name, dimensions: [count], type: .f32, values: (0..<count).map { _ in value(&random) })
        }
        writer.tensors.append(matrix("token_embd.weight", columns: embedding, rows: vocab))
        for layer in 0..<layers {
            let block = "blk.\(layer)."
            writer.tensors.append(vector(block + "attn_norm.weight", embedding) { $0.nextFloat(in: 0.8...1.2) })
            writer.tensors.append(matrix(block + "attn_q.weight", columns: embedding, rows: embedding))
            writer.tensors.append(matrix(block + "attn_k.weight", columns: embedding, rows: kvEmbedding))
            writer.tensors.append(matrix(block + "attn_v.weight", columns: embedding, rows: kvEmbedding))
            if architecture == .qwen2 {
                writer.tensors.append(vector(block + "attn_q.bias", embedding) { $0.nextFloat(in: -0.1...0.1) })
                writer.tensors.append(vector(block + "attn_k.bias", kvEmbedding) { $0.nextFloat(in: -0.1...0.1) })
                writer.tensors.append(vector(block + "attn_v.bias", kvEmbedding) { $0.nextFloat(in: -0.1...0.1) })
            }
            // What a block adds to the residual stream; `laterLayerScale` quiets the blocks after the first.
            let residualScale = layer == 0 ? 1 : laterLayerScale
            writer.tensors.append(matrix(block + "attn_output.weight", columns: embedding, rows: embedding, scale: residualScale))
            writer.tensors.append(vector(block + "ffn_norm.weight", embedding) { $0.nextFloat(in: 0.8...1.2) })
            writer.tensors.append(matrix(block + "ffn_gate.weight", columns: embedding, rows: feedForward))
            writer.tensors.append(matrix(block + "ffn_up.weight", columns: embedding, rows: feedForward))
            writer.tensors.append(matrix(block + "ffn_down.weight", columns: feedForward, rows: embedding, scale: residualScale))
        }
        writer.tensors.append(vector("output_norm.weight", embedding) { $0.nextFloat(in: 0.8...1.2) })
        writer.tensors.append(matrix("output.weight", columns: embedding, rows: vocab))
        return writer
    }

    /// The vocabulary's metadata: `tokenizer.ggml.*` and the chat template.
    private func setTokenizer(in writer: inout GGUFWriter) {
        if tokenizer == .bpe {
            setBPETokenizer(in: &writer)
            return
        }
        let vocabulary = Self.vocabulary()
        writer.set("tokenizer.ggml.model", .string("llama"))
        writer.set("tokenizer.ggml.tokens", .array(.string, vocabulary.pieces.map(GGUFValue.string)))
        writer.set("tokenizer.ggml.scores", .array(.float32, vocabulary.scores.map(GGUFValue.float32)))
        writer.set("tokenizer.ggml.token_type", .array(.int32, vocabulary.types.map { .int32($0.rawValue) }))
        writer.set("tokenizer.ggml.unknown_token_id", .uint32(0))
        writer.set("tokenizer.ggml.bos_token_id", .uint32(1))
        writer.set("tokenizer.ggml.eos_token_id", .uint32(2))
        writer.set("tokenizer.ggml.add_bos_token", .bool(true))
        writer.set("tokenizer.ggml.add_eos_token", .bool(false))
        // Mistral's instruction format, which suits a SentencePiece vocabulary with <s> and </s>.
        writer.set("tokenizer.chat_template", .string(
            "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
            + "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token }}{% endif %}{% endfor %}"))
    }
}

extension SplitMix64 {
    /// Uniform in `range`, from the top 24 bits (a Float's precision).
    mutating func nextFloat(in range: ClosedRange<Float>) -> Float {
        range.lowerBound + Float(next() >> 40) / Float(1 << 24) * (range.upperBound - range.lowerBound)
    }
}

private extension String {
    func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
