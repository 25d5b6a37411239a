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

    /// A weight matrix: floats, or Q8_0 blocks multiplied as llama.cpp does (the input quantised
    /// to Q8_0 per block too, integer dot products scaled by both blocks' scales).
    enum Weights: Sendable {
        case dense([Float])
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
            guard file.tensor(name)?.type == .q8_0 else { return .dense(try tensor(name, shape)) }
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
        // Models with tied embeddings have no output matrix: the embedding serves both ways.
        output = file.tensor("output.weight") == nil ? .dense(tokenEmbedding) : try weights("output.weight", [c.embedding, c.vocabulary])
    }

    /// One sequence's keys and values, per layer, position after position.
    public struct Cache: Sendable {
        var keys: [[Float]]
        var values: [[Float]]
        public private(set) var count = 0

        public init(model: LlamaModel) {
            keys = Array(repeating: [], count: model.configuration.layers)
            values = Array(repeating: [], count: model.configuration.layers)
        }

        mutating func append(layer: Int, key: [Float], value: [Float]) {
            keys[layer] += key
            values[layer] += value
        }

        mutating func advance() { count += 1 }
    }

    /// Runs `token` at the cache's next position and returns the logits for the token after it.
    public func step(_ token: Int, cache: inout Cache) throws(GGUFError) -> [Float] {
        let c = configuration
        guard (0..<c.vocabulary).contains(token) else { throw GGUFError("token \(token) is outside the vocabulary of \(c.vocabulary)") }
        guard cache.count < c.context else {
            throw GGUFError("the sequence reached the model's context of \(c.context) tokens; shorten the prompt or max_tokens")
        }
        let position = cache.count
        var x = Array(tokenEmbedding[(token * c.embedding)..<((token + 1) * c.embedding)])
        let group = c.heads / c.kvHeads
        let scale = 1 / Float(c.headDimension).squareRoot()
        for (index, layer) in layers.enumerated() {
            let normed = Self.rmsNorm(x, layer.attentionNorm, epsilon: c.rmsEpsilon)
            var query = Self.multiply(layer.query, normed, rows: c.embedding)
            var key = Self.multiply(layer.key, normed, rows: c.kvEmbedding)
            var value = Self.multiply(layer.value, normed, rows: c.kvEmbedding)
            if let bias = layer.queryBias { for i in query.indices { query[i] += bias[i] } }
            if let bias = layer.keyBias { for i in key.indices { key[i] += bias[i] } }
            if let bias = layer.valueBias { for i in value.indices { value[i] += bias[i] } }
            rotate(&query, heads: c.heads, position: position)
            rotate(&key, heads: c.kvHeads, position: position)
            // Kept in half precision, as llama.cpp's default KV cache keeps them.
            cache.append(layer: index, key: key.map { Float(Float16($0)) }, value: value.map { Float(Float16($0)) })
            let query16 = query.map { Float(Float16($0)) }
            var attended = [Float](repeating: 0, count: c.embedding)
            let keys = cache.keys[index], values = cache.values[index]
            for head in 0..<c.heads {
                let kvHead = head / group
                let q = head * c.headDimension
                var scores = [Float](repeating: 0, count: position + 1)
                for t in 0...position {
                    let k = t * c.kvEmbedding + kvHead * c.headDimension
                    var dot: Float = 0
                    for d in 0..<c.headDimension { dot += query16[q + d] * keys[k + d] }
                    scores[t] = dot * scale
                }
                let largest = scores.max() ?? 0
                var total: Float = 0
                for t in scores.indices {
                    scores[t] = exp(scores[t] - largest)
                    total += scores[t]
                }
                for t in 0...position {
                    let weight = Float(Float16(scores[t] / total))
                    let v = t * c.kvEmbedding + kvHead * c.headDimension
                    for d in 0..<c.headDimension { attended[q + d] += weight * values[v + d] }
                }
            }
            let projected = Self.multiply(layer.output, attended, rows: c.embedding)
            for i in x.indices { x[i] += projected[i] }
            let normedAgain = Self.rmsNorm(x, layer.feedForwardNorm, epsilon: c.rmsEpsilon)
            let gate = Self.multiply(layer.gate, normedAgain, rows: c.feedForward)
            let up = Self.multiply(layer.up, normedAgain, rows: c.feedForward)
            var hidden = [Float](repeating: 0, count: c.feedForward)
            for i in hidden.indices { hidden[i] = gate[i] / (1 + exp(-gate[i])) * up[i] }
            let down = Self.multiply(layer.down, hidden, rows: c.embedding)
            for i in x.indices { x[i] += down[i] }
        }
        cache.advance()
        return Self.multiply(output, Self.rmsNorm(x, outputNorm, epsilon: c.rmsEpsilon), rows: c.vocabulary)
    }

    /// Greedy decoding: `maxTokens` tokens after `prompt`, stopping early at `stop` tokens.
    public func greedy(_ prompt: [Int], maxTokens: Int, stop: Set<Int> = []) throws(GGUFError) -> [Int] {
        guard !prompt.isEmpty else { throw GGUFError("the prompt has no tokens") }
        var cache = Cache(model: self)
        var logits: [Float] = []
        for token in prompt { logits = try step(token, cache: &cache) }
        var generated: [Int] = []
        while generated.count < maxTokens {
            let next = Self.argmax(logits)
            generated.append(next)
            if stop.contains(next) || generated.count == maxTokens { break }
            logits = try step(next, cache: &cache)
        }
        return generated
    }

    /// The highest logit's token (the lowest id on a tie, as llama.cpp's greedy sampler takes it).
    public static func argmax(_ logits: [Float]) -> Int {
        var best = 0
        for index in logits.indices where logits[index] > logits[best] { best = index }
        return best
    }

    static func rmsNorm(_ x: [Float], _ weight: [Float], epsilon: Float) -> [Float] {
        var squares: Float = 0
        for value in x { squares += value * value }
        let scale = 1 / (squares / Float(x.count) + epsilon).squareRoot()
        return x.indices.map { x[$0] * scale * weight[$0] }
    }

    /// `weights` (rows × x.count, row-major as ggml stores it) times `x`.
    static func multiply(_ weights: Weights, _ x: [Float], rows: Int) -> [Float] {
        switch weights {
        case .dense(let matrix): return multiply(matrix, x, rows: rows)
        case .q8_0(let scales, let quants): return multiplyQ8_0(scales: scales, quants: quants, x, rows: rows)
        }
    }

    /// As ggml's `vec_dot_q8_0_q8_0`: `x` quantised per 32-value block, then per block the integer
    /// dot product times both scales, summed in block order.
    static func multiplyQ8_0(scales: [Float], quants: [Int8], _ x: [Float], rows: Int) -> [Float] {
        let blocks = x.count / Q8_0.blockValues
        var xScales = [Float](repeating: 0, count: blocks)
        var xQuants = [Int8](repeating: 0, count: x.count)
        for block in 0..<blocks {
            let slice = x[(block * Q8_0.blockValues)..<((block + 1) * Q8_0.blockValues)]
            let scale = (slice.map(abs).max() ?? 0) / 127
            let inverse: Float = scale == 0 ? 0 : 1 / scale
            xScales[block] = Float(Float16(scale))
            for (index, value) in slice.enumerated() { xQuants[block * Q8_0.blockValues + index] = Int8((value * inverse).rounded()) }
        }
        return (0..<rows).map { row in
            var sum: Float = 0
            for block in 0..<blocks {
                let weightBase = (row * blocks + block) * Q8_0.blockValues, inputBase = block * Q8_0.blockValues
                var dot: Int32 = 0
                for index in 0..<Q8_0.blockValues { dot += Int32(quants[weightBase + index]) * Int32(xQuants[inputBase + index]) }
                sum += Float(dot) * (scales[row * blocks + block] * xScales[block])
            }
            return sum
        }
    }

    static func multiply(_ matrix: [Float], _ x: [Float], rows: Int) -> [Float] {
        let columns = x.count
        return matrix.withUnsafeBufferPointer { m in
            x.withUnsafeBufferPointer { v in
                (0..<rows).map { row in
                    var sum: Float = 0
                    let base = row * columns
                    for column in 0..<columns { sum += m[base + column] * v[column] }
                    return sum
                }
            }
        }
    }

    /// Rotary position embedding of every head in `vector` at `position`.
    func rotate(_ vector: inout [Float], heads: Int, position: Int) {
        let dimension = configuration.headDimension
        for head in 0..<heads {
            let base = head * dimension
            for pair in 0..<(dimension / 2) {
                let angle = Float(position) * pow(configuration.ropeBase, -2 * Float(pair) / Float(dimension))
                let (cosine, sine) = (cos(angle), sin(angle))
                let (first, second) = configuration.rotatesHalves ? (base + pair, base + pair + dimension / 2) : (base + 2 * pair, base + 2 * pair + 1)
                let (a, b) = (vector[first], vector[second])
                vector[first] = a * cosine - b * sine
                vector[second] = a * sine + b * cosine
            }
        }
    }
}
