import Foundation

/// A llama-family transformer (`llama`, `qwen2`) loaded from GGUF as F32: RMSNorm, rotary
/// position embedding (adjacent pairs for llama, split halves for qwen2, as llama.cpp applies
/// them), grouped-query attention over a key/value cache, and a SwiGLU feed-forward. It rounds as
/// llama.cpp does by default (keys, values, queries and attention weights in half precision; Q8_0
/// weights multiplied by a Q8_0-quantised input), so greedy decoding picks the same tokens
/// (`scripts/llama-reference.sh`). This is the reference path, one token at a time; batching and
/// faster kernels build on it.
public final class LlamaModel: Sendable {
    public struct Configuration: Sendable, Hashable {
        public var architecture: String
        public var vocabulary: Int
        public var embedding: Int
        public var layers: Int
        public var heads: Int
        public var kvHeads: Int
        public var feedForward: Int
        public var context: Int
        public var ropeBase: Float
        public var rmsEpsilon: Float

        public var headDimension: Int { embedding / heads }
        public var kvEmbedding: Int { headDimension * kvHeads }
        /// qwen2 rotates the two halves of each head; llama adjacent pairs.
        var rotatesHalves: Bool { architecture == "qwen2" }
    }

    /// A weight matrix, multiplied as llama.cpp does: floats; F16 values (held as floats) times
    /// the input rounded to half precision; or Q8_0 blocks times the input quantised to Q8_0 per
    /// block too (integer dot products scaled by both blocks' scales).
    enum Weights: Sendable {
        case dense([Float])
        case half([Float])
        case q8_0(scales: [Float], quants: [Int8])
    }

    struct Layer: Sendable {
        var attentionNorm, feedForwardNorm: [Float]
        var query, key, value, output, gate, up, down: Weights
        var queryBias, keyBias, valueBias: [Float]?
    }

    public let configuration: Configuration
    let tokenEmbedding: [Float]
    let layers: [Layer]
    let outputNorm: [Float]
    let output: Weights
    /// RoPE's angle per position for each pair of a head's dimensions.
    let inverseFrequencies: [Float]

    public static let architectures = ["llama", "qwen2"]

    public init(file: GGUFFile) throws(GGUFError) {
        let architecture = file["general.architecture"]?.stringValue ?? "(none)"
        guard Self.architectures.contains(architecture) else {
            throw GGUFError("\(file.path) is a \(architecture) model; lumen-engine runs " + Self.architectures.joined(separator: " and ")
                            + " (Llama 2/3, Mistral, SmolLM, TinyLlama, Qwen2)")
        }
        func number(_ key: String) throws(GGUFError) -> Int {
            guard let value = file["\(architecture).\(key)"]?.intValue, value > 0 else {
                throw GGUFError("\(file.path) lacks \(architecture).\(key); it is not a complete model file")
            }
            return value
        }
        let embedding = try number("embedding_length")
        let heads = try number("attention.head_count")
        let vocabulary = file["tokenizer.ggml.tokens"]?.arrayValue?.count ?? file.tensor("token_embd.weight")?.dimensions.last ?? 0
        configuration = Configuration(
            architecture: architecture, vocabulary: vocabulary, embedding: embedding, layers: try number("block_count"),
            heads: heads, kvHeads: file["\(architecture).attention.head_count_kv"]?.intValue ?? heads,
            feedForward: try number("feed_forward_length"), context: try number("context_length"),
            ropeBase: Float(file["\(architecture).rope.freq_base"]?.doubleValue ?? 10_000),
            rmsEpsilon: Float(file["\(architecture).attention.layer_norm_rms_epsilon"]?.doubleValue ?? 1e-5))
        guard embedding % heads == 0, heads % configuration.kvHeads == 0 else {
            throw GGUFError("\(file.path): \(heads) heads over \(embedding) dimensions and \(configuration.kvHeads) key/value heads do not divide evenly")
        }
        func tensor(_ name: String, _ shape: [Int]) throws(GGUFError) -> [Float] {
            guard let info = file.tensor(name) else { throw GGUFError("\(file.path) has no tensor \(name); it is not a complete \(architecture) model") }
            guard info.dimensions == shape else {
                throw GGUFError("\(file.path): tensor \(name) is \(info.dimensions), the metadata says \(shape); the file is inconsistent")
            }
            return try file.floats(name)
        }
        func weights(_ name: String, _ shape: [Int]) throws(GGUFError) -> Weights {
            switch file.tensor(name)?.type {
            case .f16?: return .half(try tensor(name, shape))
            case .q8_0?: break
            default: return .dense(try tensor(name, shape))
            }
            _ = try tensor(name, shape)
            let blocks = try file.q8_0Blocks(name)
            return .q8_0(scales: blocks.scales, quants: blocks.quants)
        }
        let c = configuration
        tokenEmbedding = try tensor("token_embd.weight", [c.embedding, c.vocabulary])
        var layers: [Layer] = []
        for index in 0..<c.layers {
            let block = "blk.\(index)."
            let hasBias = file.tensor(block + "attn_q.bias") != nil
            layers.append(Layer(
                attentionNorm: try tensor(block + "attn_norm.weight", [c.embedding]),
                feedForwardNorm: try tensor(block + "ffn_norm.weight", [c.embedding]),
                query: try weights(block + "attn_q.weight", [c.embedding, c.embedding]),
                key: try weights(block + "attn_k.weight", [c.embedding, c.kvEmbedding]),
                value: try weights(block + "attn_v.weight", [c.embedding, c.kvEmbedding]),
                output: try weights(block + "attn_output.weight", [c.embedding, c.embedding]),
                gate: try weights(block + "ffn_gate.weight", [c.embedding, c.feedForward]),
                up: try weights(block + "ffn_up.weight", [c.embedding, c.feedForward]),
                down: try weights(block + "ffn_down.weight", [c.feedForward, c.embedding]),
                queryBias: hasBias ? try tensor(block + "attn_q.bias", [c.embedding]) : nil,
                keyBias: hasBias ? try tensor(block + "attn_k.bias", [c.kvEmbedding]) : nil,
                valueBias: hasBias ? try tensor(block + "attn_v.bias", [c.kvEmbedding]) : nil))
        }
        self.layers = layers
        outputNorm = try tensor("output_norm.weight", [c.embedding])
        inverseFrequencies = (0..<(c.headDimension / 2)).map { pow(c.ropeBase, -2 * Float($0) / Float(c.headDimension)) }
        // Models with tied embeddings have no output matrix: the embedding serves both ways.
        output = file.tensor("output.weight") == nil ? .dense(tokenEmbedding) : try weights("output.weight", [c.embedding, c.vocabulary])
    }

    /// A batch for one forward pass: rows of (sequence, position, token); each sequence's keys and
    /// values live in `pool` at the blocks of its table, which must already cover its positions.
    struct Batch {
        var tokens: [Int] = []
        var positions: [Int] = []
        /// Row → index into `tables`.
        var sequences: [Int] = []
        var tables: [[Int]] = []
        /// The rows whose next-token logits are wanted, in the order they are returned.
        var logitRows: [Int] = []

        mutating func append(token: Int, position: Int, sequence: Int, wantsLogits: Bool) {
            if wantsLogits { logitRows.append(tokens.count) }
            tokens.append(token)
            positions.append(position)
            sequences.append(sequence)
        }
    }

    /// Runs every row of `batch` (writing its keys and values into `pool`) and returns the logits
    /// of its `logitRows`. Rows of one sequence must come in position order; a row attends to its
    /// sequence's positions up to its own, including rows earlier in the same batch.
    func forward(_ batch: Batch, pool: KVBlockPool, threads: Int) -> [[Float]] {
        let c = configuration
        let rows = batch.tokens.count
        guard rows > 0 else { return [] }
        let e = c.embedding, kv = c.kvEmbedding, ff = c.feedForward, hd = c.headDimension
        let buffers = ScratchBuffers(rows: rows, configuration: c)
        defer { buffers.deallocate() }
        let x = buffers.x, normed = buffers.normed
        for (row, token) in batch.tokens.enumerated() {
            tokenEmbedding.withUnsafeBufferPointer { embedding in
                (x + row * e).update(from: embedding.baseAddress! + token * e, count: e)
            }
        }
        let group = c.heads / c.kvHeads
        let scale = 1 / Float(hd).squareRoot()
        for (index, layer) in layers.enumerated() {
            Self.rmsNorm(x, rows: rows, width: e, weight: layer.attentionNorm, epsilon: c.rmsEpsilon, into: normed)
            Self.multiply(layer.query, normed, rows: rows, columns: e, outputs: e, into: buffers.query, threads: threads)
            Self.multiply(layer.key, normed, rows: rows, columns: e, outputs: kv, into: buffers.key, threads: threads)
            Self.multiply(layer.value, normed, rows: rows, columns: e, outputs: kv, into: buffers.value, threads: threads)
            for row in 0..<rows {
                Self.addBias(layer.queryBias, to: buffers.query + row * e)
                Self.addBias(layer.keyBias, to: buffers.key + row * kv)
                Self.addBias(layer.valueBias, to: buffers.value + row * kv)
                rotate(buffers.query + row * e, heads: c.heads, position: batch.positions[row])
                rotate(buffers.key + row * kv, heads: c.kvHeads, position: batch.positions[row])
                // Half precision, as llama.cpp's default cache keeps keys and values and rounds queries.
                let table = batch.tables[batch.sequences[row]]
                let (block, slot) = pool.block(table: table, position: batch.positions[row], layer: index)
                for d in 0..<kv {
                    pool.keys[block + d * pool.blockSize + slot] = Kernels.roundToHalf(buffers.key[row * kv + d])
                    pool.values[block + slot * kv + d] = Kernels.roundToHalf(buffers.value[row * kv + d])
                }
                for d in 0..<e { buffers.query[row * e + d] = Kernels.roundToHalf(buffers.query[row * e + d]) }
            }
            let attended = buffers.attended
            Kernels.parallel(rows * c.heads, threads: threads, work: batch.positions.reduce(0, +) * e * 2) { items in
                let longest = items.map { batch.positions[$0 / c.heads] + 1 }.max() ?? 0
                withUnsafeTemporaryAllocation(of: Float.self, capacity: longest) { scores in
                    for item in items {
                        let row = item / c.heads, head = item % c.heads
                        let position = batch.positions[row]
                        let table = batch.tables[batch.sequences[row]]
                        let query = UnsafePointer(buffers.query + row * e + head * hd)
                        let headOffset = (head / group) * hd
                        // Block by block through the sequence's table: positions within a block are
                        // `width` floats apart.
                        let blockStride = pool.layers * pool.blockSize * pool.width, layerOffset = index * pool.blockSize * pool.width
                        let width = pool.width, blockSize = pool.blockSize
                        var largest = -Float.infinity
                        var t = 0
                        for block in table where t <= position {
                            // One dimension at a time over the block's 16 keys (slots past the
                            // position are scored and not used).
                            let scored = Kernels.blockScores(query, pool.keys + block * blockStride + layerOffset + headOffset * blockSize, dimension: hd) * scale
                            for slot in 0..<min(blockSize, position + 1 - t) {
                                scores[t + slot] = scored[slot]
                                largest = max(largest, scored[slot])
                            }
                            t += blockSize
                        }
                        for t in 0...position { scores[t] -= largest }
                        Kernels.exp(scores.baseAddress!, count: position + 1)
                        var total: Float = 0
                        for t in 0...position { total += scores[t] }
                        // Scaled by the reciprocal of the total, as ggml's softmax does.
                        let inverse = 1 / total
                        let out = attended + row * e + head * hd
                        out.initialize(repeating: 0, count: hd)
                        t = 0
                        for block in table where t <= position {
                            let values = pool.values + block * blockStride + layerOffset + headOffset
                            for slot in 0..<min(blockSize, position + 1 - t) {
                                let weight = Kernels.roundToHalf(scores[t + slot] * inverse)
                                let value = values + slot * width
                                for d in 0..<hd { out[d] += weight * value[d] }
                            }
                            t += blockSize
                        }
                    }
                }
            }
            Self.multiply(layer.output, attended, rows: rows, columns: e, outputs: e, into: buffers.projected, threads: threads)
            for i in 0..<(rows * e) { x[i] += buffers.projected[i] }
            Self.rmsNorm(x, rows: rows, width: e, weight: layer.feedForwardNorm, epsilon: c.rmsEpsilon, into: normed)
            Self.multiply(layer.gate, normed, rows: rows, columns: e, outputs: ff, into: buffers.gate, threads: threads)
            Self.multiply(layer.up, normed, rows: rows, columns: e, outputs: ff, into: buffers.up, threads: threads)
            // SiLU(gate) × up, with e^-gate computed a vector at a time into `hidden`.
            let hidden = buffers.hidden
            for i in 0..<(rows * ff) { hidden[i] = -buffers.gate[i] }
            Kernels.exp(hidden, count: rows * ff)
            for i in 0..<(rows * ff) { hidden[i] = buffers.gate[i] / (1 + hidden[i]) * buffers.up[i] }
            Self.multiply(layer.down, hidden, rows: rows, columns: ff, outputs: e, into: buffers.projected, threads: threads)
            for i in 0..<(rows * e) { x[i] += buffers.projected[i] }
        }
        let wanted = batch.logitRows.count
        guard wanted > 0 else { return [] }
        for (slot, row) in batch.logitRows.enumerated() { (buffers.query + slot * e).update(from: x + row * e, count: e) }
        Self.rmsNorm(buffers.query, rows: wanted, width: e, weight: outputNorm, epsilon: c.rmsEpsilon, into: normed)
        var logits = [[Float]]()
        withUnsafeTemporaryAllocation(of: Float.self, capacity: wanted * c.vocabulary) { out in
            Self.multiply(output, normed, rows: wanted, columns: e, outputs: c.vocabulary, into: out.baseAddress!, threads: threads)
            logits = (0..<wanted).map { Array(out[($0 * c.vocabulary)..<(($0 + 1) * c.vocabulary)]) }
        }
        return logits
    }

    /// Per-pass working memory, sized for the batch.
    private struct ScratchBuffers {
        let x, normed, query, key, value, attended, projected, gate, up, hidden: UnsafeMutablePointer<Float>

        init(rows: Int, configuration c: Configuration) {
            x = .allocate(capacity: rows * c.embedding)
            normed = .allocate(capacity: rows * c.embedding)
            query = .allocate(capacity: rows * c.embedding)
            key = .allocate(capacity: rows * c.kvEmbedding)
            value = .allocate(capacity: rows * c.kvEmbedding)
            attended = .allocate(capacity: rows * c.embedding)
            projected = .allocate(capacity: rows * c.embedding)
            gate = .allocate(capacity: rows * c.feedForward)
            up = .allocate(capacity: rows * c.feedForward)
            hidden = .allocate(capacity: rows * c.feedForward)
        }

        func deallocate() {
            for buffer in [x, normed, query, key, value, attended, projected, gate, up, hidden] { buffer.deallocate() }
        }
    }

    /// One sequence's own key/value memory, for running a model outside the engine's scheduler
    /// (tools and tests): the whole context in one pool.
    public struct Cache: @unchecked Sendable {
        let pool: KVBlockPool
        var table: [Int] = []
        public internal(set) var count = 0

        public init(model: LlamaModel) {
            let c = model.configuration
            pool = KVBlockPool(blocks: (c.context + KVBlockPool.defaultBlockSize - 1) / KVBlockPool.defaultBlockSize,
                               layers: c.layers, width: c.kvEmbedding)
        }
    }

    /// Runs `tokens` at the cache's next positions and returns the logits after the last one.
    public func step(_ tokens: [Int], cache: inout Cache, threads: Int = 1) throws(GGUFError) -> [Float] {
        let c = configuration
        for token in tokens where !(0..<c.vocabulary).contains(token) {
            throw GGUFError("token \(token) is outside the vocabulary of \(c.vocabulary)")
        }
        guard cache.count + tokens.count <= c.context else {
            throw GGUFError("the sequence reached the model's context of \(c.context) tokens; shorten the prompt or max_tokens")
        }
        while cache.table.count < cache.pool.blocksNeeded(forPositions: cache.count + tokens.count), let block = cache.pool.allocate() {
            cache.table.append(block)
        }
        var batch = Batch(tables: [cache.table])
        for (offset, token) in tokens.enumerated() {
            batch.append(token: token, position: cache.count + offset, sequence: 0, wantsLogits: offset == tokens.count - 1)
        }
        cache.count += tokens.count
        return forward(batch, pool: cache.pool, threads: threads).first ?? []
    }

    public func step(_ token: Int, cache: inout Cache) throws(GGUFError) -> [Float] {
        try step([token], cache: &cache)
    }

    /// Greedy decoding: `maxTokens` tokens after `prompt`, stopping early at `stop` tokens.
    public func greedy(_ prompt: [Int], maxTokens: Int, stop: Set<Int> = [], threads: Int = 1) throws(GGUFError) -> [Int] {
        guard !prompt.isEmpty else { throw GGUFError("the prompt has no tokens") }
        var cache = Cache(model: self)
        var logits = try step(prompt, cache: &cache, threads: threads)
        var generated: [Int] = []
        while generated.count < maxTokens {
            let next = Self.argmax(logits)
            generated.append(next)
            if stop.contains(next) || generated.count == maxTokens { break }
            logits = try step([next], cache: &cache, threads: threads)
        }
        return generated
    }

    /// The highest logit's token (the lowest id on a tie, as llama.cpp's greedy sampler takes it).
    public static func argmax(_ logits: [Float]) -> Int {
        var best = 0
        for index in logits.indices where logits[index] > logits[best] { best = index }
        return best
    }

    static func rmsNorm(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, weight: [Float], epsilon: Float, into output: UnsafeMutablePointer<Float>) {
        for row in 0..<rows {
            let values = x + row * width, out = output + row * width
            var squares: Float = 0
            for i in 0..<width { squares += values[i] * values[i] }
            let scale = 1 / (squares / Float(width) + epsilon).squareRoot()
            for i in 0..<width { out[i] = values[i] * scale * weight[i] }
        }
    }

    static func addBias(_ bias: [Float]?, to vector: UnsafeMutablePointer<Float>) {
        guard let bias else { return }
        for i in bias.indices { vector[i] += bias[i] }
    }

    static func multiply(_ weights: Weights, _ input: UnsafeMutablePointer<Float>, rows: Int, columns: Int, outputs: Int,
                         into output: UnsafeMutablePointer<Float>, threads: Int) {
        switch weights {
        case .dense(let matrix):
            matrix.withUnsafeBufferPointer { m in
                Kernels.multiply(m.baseAddress!, input, rows: rows, columns: columns, outputs: outputs, into: output, threads: threads)
            }
        case .half(let matrix):
            withUnsafeTemporaryAllocation(of: Float.self, capacity: rows * columns) { rounded in
                for index in 0..<(rows * columns) { rounded[index] = Kernels.roundToHalf(input[index]) }
                matrix.withUnsafeBufferPointer { m in
                    Kernels.multiply(m.baseAddress!, rounded.baseAddress!, rows: rows, columns: columns, outputs: outputs, into: output, threads: threads)
                }
            }
        case .q8_0(let scales, let quants):
            scales.withUnsafeBufferPointer { s in
                quants.withUnsafeBufferPointer { q in
                    Kernels.multiplyQ8_0(scales: s.baseAddress!, quants: q.baseAddress!, input, rows: rows, columns: columns,
                                         outputs: outputs, into: output, threads: threads)
                }
            }
        }
    }

    /// Rotary position embedding of every head in `vector` at `position`.
    func rotate(_ vector: UnsafeMutablePointer<Float>, heads: Int, position: Int) {
        let dimension = configuration.headDimension
        for pair in 0..<(dimension / 2) {
            let angle = Float(position) * inverseFrequencies[pair]
            let (cosine, sine) = (cos(angle), sin(angle))
            for head in 0..<heads {
                let base = head * dimension
                let (first, second) = configuration.rotatesHalves ? (base + pair, base + pair + dimension / 2) : (base + 2 * pair, base + 2 * pair + 1)
                let (a, b) = (vector[first], vector[second])
                vector[first] = a * cosine - b * sine
                vector[second] = a * sine + b * cosine
            }
        }
    }
}
