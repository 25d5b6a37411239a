import Foundation
public import LumenAPI

/// A request's sampling parameters, as OpenAI and vLLM name them, validated.
public struct SamplingOptions: Sendable, Hashable {
    /// 0 picks the most likely token; higher flattens the distribution. 0...2.
    public var temperature: Float
    /// Nucleus sampling: keep the smallest set of most likely tokens whose mass reaches this. (0, 1].
    public var topP: Float
    /// Keep only the `topK` most likely tokens; 0 keeps all (a request's -1 reads as 0, as vLLM's).
    public var topK: Int
    /// Drop tokens less likely than `minP` times the most likely token's probability. 0...1.
    public var minP: Float
    /// Subtracted once from the logit of each token generated at least once. -2...2.
    public var presencePenalty: Float
    /// Subtracted from each token's logit once per time it was generated. -2...2.
    public var frequencyPenalty: Float
    /// The generator's seed; `nil` draws a random one.
    public var seed: UInt64?
    /// Whether to return each chosen token's log-probability.
    public var logprobs: Bool
    /// How many most likely alternatives to return with each token's log-probability. 0...20.
    public var topLogprobs: Int
    /// How many choices to generate for the prompt. 1...16.
    public var n: Int

    public init(temperature: Float = 1, topP: Float = 1, topK: Int = 0, minP: Float = 0, presencePenalty: Float = 0,
                frequencyPenalty: Float = 0, seed: UInt64? = nil, logprobs: Bool = false, topLogprobs: Int = 0, n: Int = 1) {
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.minP = minP
        self.presencePenalty = presencePenalty
        self.frequencyPenalty = frequencyPenalty
        self.seed = seed
        self.logprobs = logprobs
        self.topLogprobs = topLogprobs
        self.n = n
    }

    /// Reads the sampling fields of a chat (`chat: true`) or completions request body. A missing
    /// or `null` field takes its default; a wrong type or an out-of-range value is a 400 that
    /// names the field and its allowed values.
    ///
    /// Chat requests take `logprobs` as a boolean and `top_logprobs` as an integer 0...20, which
    /// needs `logprobs: true` when above 0 (vLLM's rule; 0 asks for nothing). Completions take
    /// `logprobs` as an integer 0...5: the number of alternatives, and log-probabilities on.
    public init(body: JSONValue, chat: Bool) throws(OpenAIError) {
        self.init()
        temperature = try Self.number(body, "temperature", default: 1, allowed: "a number from 0 to 2") { (0...2).contains($0) }
        topP = try Self.number(body, "top_p", default: 1, allowed: "a number greater than 0 and at most 1") { $0 > 0 && $0 <= 1 }
        let topK = try Self.integer(body, "top_k", default: 0, allowed: "an integer: -1 or 0 for no limit, or at least 1") { $0 >= -1 }
        self.topK = max(topK, 0)
        minP = try Self.number(body, "min_p", default: 0, allowed: "a number from 0 to 1") { (0...1).contains($0) }
        presencePenalty = try Self.number(body, "presence_penalty", default: 0, allowed: "a number from -2 to 2") { (-2...2).contains($0) }
        frequencyPenalty = try Self.number(body, "frequency_penalty", default: 0, allowed: "a number from -2 to 2") { (-2...2).contains($0) }
        n = try Self.integer(body, "n", default: 1, allowed: "an integer from 1 to 16 (the number of choices)") { (1...16).contains($0) }
        if let field = body["seed"], !field.isNull {
            guard case .number(let text) = field, let seed = Int64(text).map(UInt64.init(bitPattern:)) ?? UInt64(text) else {
                throw .invalidRequest("seed must be an integer (64-bit); got \(Self.shown(field))", param: "seed")
            }
            self.seed = seed
        }
        if chat {
            if let field = body["logprobs"], !field.isNull {
                guard let flag = field.boolValue else {
                    throw .invalidRequest("logprobs must be a boolean; got \(Self.shown(field)); use top_logprobs for the number of alternatives", param: "logprobs")
                }
                logprobs = flag
            }
            topLogprobs = try Self.integer(body, "top_logprobs", default: 0, allowed: "an integer from 0 to 20") { (0...20).contains($0) }
            if topLogprobs > 0 && !logprobs {
                throw .invalidRequest("top_logprobs needs logprobs: true; set logprobs to true or drop top_logprobs", param: "top_logprobs")
            }
        } else if let field = body["logprobs"], !field.isNull {
            topLogprobs = try Self.integer(body, "logprobs", default: 0, allowed: "an integer from 0 to 5 (the number of alternatives per token)") {
                (0...5).contains($0)
            }
            logprobs = true
        }
    }

    private static func number(_ body: JSONValue, _ key: String, default value: Float, allowed: String,
                               where valid: (Double) -> Bool) throws(OpenAIError) -> Float {
        guard let field = body[key], !field.isNull else { return value }
        guard let number = field.doubleValue, number.isFinite, valid(number) else {
            throw .invalidRequest("\(key) must be \(allowed); got \(shown(field))", param: key)
        }
        return Float(number)
    }

    private static func integer(_ body: JSONValue, _ key: String, default value: Int, allowed: String,
                                where valid: (Int) -> Bool) throws(OpenAIError) -> Int {
        guard let field = body[key], !field.isNull else { return value }
        guard let number = field.intValue, valid(number) else {
            throw .invalidRequest("\(key) must be \(allowed); got \(shown(field))", param: key)
        }
        return number
    }

    /// A value for an error message: a number as written, else its JSON type.
    private static func shown(_ value: JSONValue) -> String {
        if case .number(let text) = value { return text }
        return value.typeName
    }
}

/// A token's log-probability under the raw logits, with the most likely alternatives.
struct TokenLogprobs: Sendable {
    var token: Int
    var logprob: Float
    /// The most likely tokens, most likely first (the lower id first on a tie).
    var top: [(token: Int, logprob: Float)]
}

/// Picks tokens from logits as one choice's options ask: penalties, temperature, top-k, top-p and
/// min-p, drawn with its own seeded generator, so the same seed and logits give the same tokens.
struct Sampler: Sendable {
    let options: SamplingOptions
    private var random: SplitMix64
    /// How many times each token was generated so far (the penalties look at these only, not at the prompt).
    private(set) var counts: [Int: Int] = [:]

    /// A sampler seeded with `seed`, else with the options' seed, else at random.
    init(_ options: SamplingOptions, seed: UInt64? = nil) {
        self.options = options
        random = SplitMix64(seed: seed ?? options.seed ?? UInt64.random(in: 0 ... .max))
    }

    /// Counts `token` as generated, for the presence and frequency penalties.
    mutating func record(_ token: Int) {
        counts[token, default: 0] += 1
    }

    /// The distribution a token is drawn from: the penalties applied to `logits`; at temperature 0
    /// a point mass on the largest (the lowest id on a tie); else the softmax of logits over
    /// temperature, cut to the top k, then to the top-p nucleus, then to the tokens at least min-p
    /// times as likely as the first, renormalised. Most likely first (the lower id first on a tie)
    /// when any cut applies; in token order when none does.
    func distribution(_ logits: [Float]) -> [(token: Int, probability: Float)] {
        guard !logits.isEmpty else { return [] }
        let logits = penalized(logits)
        let largest = logits.max() ?? 0
        guard options.temperature > 0, largest.isFinite else { return [(LlamaModel.argmax(logits), 1)] }
        let scale = 1 / options.temperature
        // Weights relative to the most likely token's, which weighs 1.
        var ranked: [(token: Int, weight: Float)]
        var total: Double
        if options.topK > 0 && options.topK < logits.count {
            // top_p then applies to the top k renormalised, as vLLM does.
            ranked = Self.largest(options.topK, of: logits).map { ($0, exp((logits[$0] - largest) * scale)) }.filter { $0.weight > 0 }
            total = ranked.reduce(0) { $0 + Double($1.weight) }
        } else {
            let weights = logits.map { exp(($0 - largest) * scale) }
            total = weights.reduce(0) { $0 + Double($1) }
            ranked = Self.candidates(weights, total: total, topP: options.topP, floor: options.minP)
        }
        // Without a cut the order does not matter, and sorting a whole vocabulary per token would.
        if options.topK > 0 || options.topP < 1 || options.minP > 0 {
            ranked.sort { $0.weight > $1.weight || ($0.weight == $1.weight && $0.token < $1.token) }
        }
        // The smallest prefix whose mass reaches top_p (within a float's rounding).
        if options.topP < 1 {
            let needed = Double(options.topP) * total * (1 - 1e-6)
            var mass: Double = 0
            var end = 0
            while end < ranked.count && mass < needed {
                mass += Double(ranked[end].weight)
                end += 1
            }
            ranked.removeSubrange(max(end, 1)...)
        }
        if options.minP > 0, let first = ranked.first?.weight {
            let floor = options.minP * first
            if let end = ranked.firstIndex(where: { $0.weight < floor }) { ranked.removeSubrange(max(end, 1)...) }
        }
        let kept = ranked.reduce(0) { $0 + Double($1.weight) }
        return ranked.map { ($0.token, Float(Double($0.weight) / kept)) }
    }

    /// One token drawn from `distribution` (whose probabilities need not sum to 1). A single
    /// token is returned without drawing.
    mutating func draw(from distribution: [(token: Int, probability: Float)]) -> Int {
        guard distribution.count > 1 else { return distribution.first?.token ?? 0 }
        let total = distribution.reduce(0) { $0 + Double($1.probability) }
        let target = random.nextUnit() * total
        var mass: Double = 0
        for entry in distribution {
            mass += Double(entry.probability)
            if target < mass { return entry.token }
        }
        return distribution.last { $0.probability > 0 }?.token ?? distribution[0].token
    }

    /// The next token for `logits`. The caller records the token it keeps.
    mutating func sample(_ logits: [Float]) -> Int {
        draw(from: distribution(logits))
    }

    /// Speculative decoding's check of one drafted token (Leviathan et al. 2023): accepts `token`
    /// with probability min(1, p(token) / q(token)), p the target's distribution and q the draft's;
    /// on a rejection returns a token drawn from max(0, p − q) renormalised (from p if that is all
    /// zero), so the tokens kept follow p whatever the draft. A draft that lacks the token, or is
    /// empty, reads as a point mass on it (prompt lookup proposes one token). With both point
    /// masses (temperature 0) this is exact greedy decoding and draws nothing.
    mutating func verify(drafted token: Int, draft: [(token: Int, probability: Float)],
                         target: [(token: Int, probability: Float)]) -> (accepted: Bool, token: Int) {
        // q over the ids the target and the drafted token use, dense: a draft may span the vocabulary.
        var q = [Float](repeating: 0, count: max(token, target.lazy.map(\.token).max() ?? 0) + 1)
        for entry in draft where q.indices.contains(entry.token) { q[entry.token] += entry.probability }
        if q[token] <= 0 {
            for index in q.indices { q[index] = 0 }
            q[token] = 1
        }
        let p = target.first { $0.token == token }?.probability ?? 0
        let ratio = Double(p) / Double(q[token])
        if ratio >= 1 || (ratio > 0 && random.nextUnit() < ratio) { return (true, token) }
        let residual = target.map { ($0.token, max(0, $0.probability - q[$0.token])) }.filter { $0.1 > 0 }
        return (false, draw(from: residual.isEmpty ? target : residual))
    }

    /// The log-softmax of the raw `logits` at `chosen`, with the `top` most likely alternatives.
    static func logprobs(_ logits: [Float], chosen: Int, top: Int) -> TokenLogprobs {
        let largest = logits.max() ?? 0
        let sum = logits.reduce(0) { $0 + Double(exp($1 - largest)) }
        let normalizer = largest + Float(log(sum))
        return TokenLogprobs(token: chosen, logprob: logits[chosen] - normalizer,
                             top: Self.largest(top, of: logits).map { ($0, logits[$0] - normalizer) })
    }

    /// `logits` less the presence and frequency penalties of the tokens generated so far.
    private func penalized(_ logits: [Float]) -> [Float] {
        guard !counts.isEmpty, options.presencePenalty != 0 || options.frequencyPenalty != 0 else { return logits }
        var logits = logits
        for (token, count) in counts where logits.indices.contains(token) {
            logits[token] -= options.presencePenalty + options.frequencyPenalty * Float(count)
        }
        return logits
    }

    /// The tokens that can be in the top-p nucleus and weigh at least `floor` (weights relative to
    /// the top token's 1), without sorting the vocabulary when top-p is below 1: the tokens above a
    /// falling cut until their mass reaches top-p. They are the nucleus's prefix of the ranking.
    private static func candidates(_ weights: [Float], total: Double, topP: Float, floor: Float) -> [(token: Int, weight: Float)] {
        let needed = Double(topP) * total * (1 - 1e-6)
        var cut = topP < 1 ? max(floor, 1e-3) : floor
        while true {
            var found: [(token: Int, weight: Float)] = []
            var mass: Double = 0
            for (token, weight) in weights.enumerated() where weight >= cut && weight > 0 {
                found.append((token, weight))
                mass += Double(weight)
            }
            if cut <= floor || mass >= needed { return found }
            cut = cut > 1e-20 ? max(floor, cut * 1e-4) : floor
        }
    }

    /// The indices of the `count` largest values, largest first and the lower index first on a
    /// tie, by a bounded heap: O(n log count), with no sort of the whole array.
    static func largest(_ count: Int, of values: [Float]) -> [Int] {
        let ranksBefore = { (a: Int, b: Int) in values[a] > values[b] || (values[a] == values[b] && a < b) }
        guard count < values.count else { return values.indices.sorted(by: ranksBefore) }
        guard count > 0 else { return [] }
        // A min-heap by rank: the root is the worst index kept.
        var heap: [Int] = []
        heap.reserveCapacity(count)
        func siftDown(_ start: Int) {
            var parent = start
            while true {
                var worst = parent
                let left = 2 * parent + 1, right = left + 1
                if left < heap.count && ranksBefore(heap[worst], heap[left]) { worst = left }
                if right < heap.count && ranksBefore(heap[worst], heap[right]) { worst = right }
                if worst == parent { return }
                heap.swapAt(parent, worst)
                parent = worst
            }
        }
        for index in values.indices {
            if heap.count < count {
                heap.append(index)
                var child = heap.count - 1
                while child > 0, ranksBefore(heap[(child - 1) / 2], heap[child]) {
                    heap.swapAt(child, (child - 1) / 2)
                    child = (child - 1) / 2
                }
            } else if ranksBefore(index, heap[0]) {
                heap[0] = index
                siftDown(0)
            }
        }
        return heap.sorted(by: ranksBefore)
    }
}

private extension SplitMix64 {
    /// Uniform in [0, 1), from the top 53 bits (a Double's precision).
    mutating func nextUnit() -> Double {
        Double(next() >> 11) / Double(1 << 53)
    }
}
