import Foundation
import LumenAPI
import Testing
@testable import LumenEngine

@Suite struct SamplingTests {
    // MARK: Parsing

    func options(_ json: String, chat: Bool = true) throws -> SamplingOptions {
        try SamplingOptions(body: try JSONValue(json: json), chat: chat)
    }

    /// The error `json` is refused with, or nil when it is accepted.
    func refusal(_ json: String, chat: Bool = true) throws -> OpenAIError? {
        let body = try JSONValue(json: json)
        do {
            _ = try SamplingOptions(body: body, chat: chat)
            return nil
        } catch {
            return error
        }
    }

    @Test func missingAndNullFieldsTakeTheDefaults() throws {
        let defaults = SamplingOptions()
        #expect(defaults.temperature == 1 && defaults.topP == 1 && defaults.topK == 0 && defaults.minP == 0)
        #expect(defaults.presencePenalty == 0 && defaults.frequencyPenalty == 0 && defaults.seed == nil)
        #expect(!defaults.logprobs && defaults.topLogprobs == 0 && defaults.n == 1)
        #expect(try options(#"{"model":"m","messages":[]}"#) == defaults)
        #expect(try options(#"{"prompt":"x"}"#, chat: false) == defaults)
        let nulls = #"{"temperature":null,"top_p":null,"top_k":null,"min_p":null,"presence_penalty":null,"frequency_penalty":null,"seed":null,"n":null,"logprobs":null,"top_logprobs":null}"#
        #expect(try options(nulls) == defaults)
        #expect(try options(nulls, chat: false) == defaults)
    }

    @Test func everyFieldIsRead() throws {
        let chat = try options(#"""
            {"temperature":0.5,"top_p":0.9,"top_k":40,"min_p":0.05,"presence_penalty":-1.5,"frequency_penalty":2,
             "seed":1234,"n":3,"logprobs":true,"top_logprobs":20}
            """#)
        #expect(chat == SamplingOptions(temperature: 0.5, topP: 0.9, topK: 40, minP: 0.05, presencePenalty: -1.5, frequencyPenalty: 2,
                                        seed: 1234, logprobs: true, topLogprobs: 20, n: 3))
        #expect(try options(#"{"logprobs":true}"#) == SamplingOptions(logprobs: true))
        #expect(try options(#"{"logprobs":false,"top_logprobs":0}"#) == SamplingOptions())
        #expect(try options(#"{"temperature":0,"top_p":1,"min_p":1,"n":16}"#) == SamplingOptions(temperature: 0, minP: 1, n: 16))
        // vLLM's -1 turns top_k off, as 0 does.
        #expect(try options(#"{"top_k":-1}"#).topK == 0)
        #expect(try options(#"{"top_k":1}"#).topK == 1)
        // Seeds span 64 bits, negative ones by their bit pattern.
        #expect(try options(#"{"seed":18446744073709551615}"#).seed == .max)
        #expect(try options(#"{"seed":-1}"#).seed == .max)
        #expect(try options(#"{"seed":0}"#).seed == 0)
        // Completions: logprobs is the number of alternatives, and turns log-probabilities on.
        #expect(try options(#"{"logprobs":3}"#, chat: false) == SamplingOptions(logprobs: true, topLogprobs: 3))
        #expect(try options(#"{"logprobs":0}"#, chat: false) == SamplingOptions(logprobs: true, topLogprobs: 0))
        #expect(try options(#"{"logprobs":5,"temperature":2,"top_p":0.5}"#, chat: false)
            == SamplingOptions(temperature: 2, topP: 0.5, logprobs: true, topLogprobs: 5))
    }

    @Test(arguments: [
        (#"{"temperature":2.5}"#, true, "temperature", "from 0 to 2; got 2.5"),
        (#"{"temperature":-0.1}"#, true, "temperature", "from 0 to 2; got -0.1"),
        (#"{"temperature":"1"}"#, true, "temperature", "a number from 0 to 2; got a string"),
        (#"{"temperature":1e400}"#, true, "temperature", "from 0 to 2"),
        (#"{"top_p":0}"#, true, "top_p", "greater than 0 and at most 1; got 0"),
        (#"{"top_p":1.01}"#, false, "top_p", "greater than 0 and at most 1"),
        (#"{"top_p":true}"#, true, "top_p", "got a boolean"),
        (#"{"top_k":-2}"#, true, "top_k", "-1 or 0 for no limit, or at least 1; got -2"),
        (#"{"top_k":2.5}"#, true, "top_k", "an integer"),
        (#"{"top_k":5.0}"#, true, "top_k", "an integer"),
        (#"{"top_k":"5"}"#, false, "top_k", "got a string"),
        (#"{"min_p":1.5}"#, true, "min_p", "from 0 to 1; got 1.5"),
        (#"{"min_p":-0.01}"#, true, "min_p", "from 0 to 1"),
        (#"{"presence_penalty":2.5}"#, true, "presence_penalty", "from -2 to 2; got 2.5"),
        (#"{"presence_penalty":[1]}"#, true, "presence_penalty", "got an array"),
        (#"{"frequency_penalty":-3}"#, false, "frequency_penalty", "from -2 to 2; got -3"),
        (#"{"frequency_penalty":{}}"#, true, "frequency_penalty", "got an object"),
        (#"{"seed":1.5}"#, true, "seed", "an integer"),
        (#"{"seed":"7"}"#, true, "seed", "got a string"),
        (#"{"seed":18446744073709551616}"#, true, "seed", "an integer (64-bit)"),
        (#"{"n":0}"#, true, "n", "from 1 to 16"),
        (#"{"n":17}"#, false, "n", "from 1 to 16 (the number of choices); got 17"),
        (#"{"n":2.0}"#, true, "n", "an integer"),
        (#"{"logprobs":1}"#, true, "logprobs", "a boolean; got 1"),
        (#"{"logprobs":"yes"}"#, true, "logprobs", "a boolean"),
        (#"{"logprobs":true,"top_logprobs":21}"#, true, "top_logprobs", "from 0 to 20; got 21"),
        (#"{"logprobs":true,"top_logprobs":-1}"#, true, "top_logprobs", "from 0 to 20"),
        (#"{"logprobs":true,"top_logprobs":2.5}"#, true, "top_logprobs", "an integer"),
        (#"{"top_logprobs":3}"#, true, "top_logprobs", "needs logprobs: true"),
        (#"{"logprobs":false,"top_logprobs":3}"#, true, "top_logprobs", "needs logprobs: true"),
        (#"{"logprobs":6}"#, false, "logprobs", "from 0 to 5"),
        (#"{"logprobs":-1}"#, false, "logprobs", "from 0 to 5"),
        (#"{"logprobs":true}"#, false, "logprobs", "an integer from 0 to 5"),
        (#"{"logprobs":2.5}"#, false, "logprobs", "an integer"),
    ])
    func wrongValuesAreRefusedNamingTheFieldAndItsRange(json: String, chat: Bool, param: String, message: String) throws {
        let error = try #require(try refusal(json, chat: chat))
        #expect(error.status == 400 && error.type == "invalid_request_error")
        #expect(error.param == param)
        #expect(error.message.hasPrefix(param + " "))
        #expect(error.message.contains(message), "\(error.message)")
    }

    // MARK: Distributions

    /// Logits whose softmax is `probabilities`.
    func logits(_ probabilities: [Float]) -> [Float] {
        probabilities.map { log($0) }
    }

    func sampler(_ options: SamplingOptions = SamplingOptions(), seed: UInt64 = 7) -> Sampler {
        Sampler(options, seed: seed)
    }

    @Test func greedyIsTheArgmaxWithTheLowestIdOnATie() {
        let greedy = sampler(SamplingOptions(temperature: 0, topP: 0.1, topK: 3, minP: 0.5))
        let distribution = greedy.distribution([0.5, 3, -1, 2.9])
        #expect(distribution.count == 1 && distribution[0].token == 1 && distribution[0].probability == 1)
        #expect(greedy.distribution([1, 4, 2, 4, 4]).map(\.token) == [1])
        #expect(greedy.distribution([-.infinity, -.infinity, 0]).map(\.token) == [2])
        let big = (0..<150_000).map { Float(($0 * 7919) % 150_001) / 1000 }
        #expect(greedy.distribution(big).map(\.token) == [LlamaModel.argmax(big)])
        for seed in 0..<20 as Range<UInt64> {
            var draw = sampler(SamplingOptions(temperature: 0), seed: seed)
            #expect(draw.sample([1, 4, 2, 4, 4]) == 1)
        }
    }

    @Test func penaltiesApplyToGeneratedTokensAndMoveTheArgmax() {
        var presence = sampler(SamplingOptions(temperature: 0, presencePenalty: 0.5))
        let close: [Float] = [2, 1.9, 0]
        #expect(presence.sample(close) == 0)
        presence.record(0)
        #expect(presence.sample(close) == 1)
        // Presence counts once, however often the token came.
        presence.record(1)
        presence.record(1)
        presence.record(1)
        #expect(presence.sample(close) == 0)

        var frequency = sampler(SamplingOptions(temperature: 0, frequencyPenalty: 0.4))
        let apart: [Float] = [3, 2.5, 0]
        frequency.record(0)
        #expect(frequency.sample(apart) == 0)  // 2.6 > 2.5
        frequency.record(0)
        #expect(frequency.sample(apart) == 1)  // 2.2 < 2.5
        #expect(frequency.counts == [0: 2])

        // A negative penalty favours what was generated; both penalties add up.
        var negative = sampler(SamplingOptions(temperature: 0, presencePenalty: -1))
        negative.record(2)
        #expect(negative.sample([2, 1.9, 1.5]) == 2)
        var both = sampler(SamplingOptions(presencePenalty: 0.5, frequencyPenalty: 0.25))
        both.record(1)
        both.record(1)
        let shifted = both.distribution([0, 1, 0])  // token 1: 1 - 0.5 - 0.5 = 0
        #expect(shifted.allSatisfy { abs($0.probability - 1 / 3) < 1e-6 })
        // Without generated tokens, no penalty.
        #expect(sampler(SamplingOptions(temperature: 0, presencePenalty: 2, frequencyPenalty: 2)).distribution(close).map(\.token) == [0])
    }

    func expect(_ distribution: [(token: Int, probability: Float)], _ expected: [(Int, Float)],
                sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(distribution.map(\.token) == expected.map(\.0), sourceLocation: sourceLocation)
        for (got, want) in zip(distribution, expected) {
            #expect(abs(got.probability - want.1) < 1e-5, "token \(got.token): \(got.probability) ≠ \(want.1)", sourceLocation: sourceLocation)
        }
    }

    @Test func filtersKeepExactlyTheExpectedTokens() {
        let p: [Float] = [0.05, 0.4, 0.1, 0.25, 0.2]
        let l = logits(p)
        // Without a cut, every token in token order (no sort of the whole vocabulary).
        expect(sampler().distribution(l), [(0, 0.05), (1, 0.4), (2, 0.1), (3, 0.25), (4, 0.2)])
        expect(sampler(SamplingOptions(topK: 2)).distribution(l), [(1, 0.4 / 0.65), (3, 0.25 / 0.65)])
        expect(sampler(SamplingOptions(topK: 1)).distribution(l), [(1, 1)])
        expect(sampler(SamplingOptions(topK: 5)).distribution(l), [(1, 0.4), (3, 0.25), (4, 0.2), (2, 0.1), (0, 0.05)])
        expect(sampler(SamplingOptions(topK: 50)).distribution(l), [(1, 0.4), (3, 0.25), (4, 0.2), (2, 0.1), (0, 0.05)])
        // The smallest set whose mass reaches top_p: 0.4 + 0.25 = 0.65.
        expect(sampler(SamplingOptions(topP: 0.6)).distribution(l), [(1, 0.4 / 0.65), (3, 0.25 / 0.65)])
        expect(sampler(SamplingOptions(topP: 0.65)).distribution(l), [(1, 0.4 / 0.65), (3, 0.25 / 0.65)])
        expect(sampler(SamplingOptions(topP: 0.7)).distribution(l), [(1, 0.4 / 0.85), (3, 0.25 / 0.85), (4, 0.2 / 0.85)])
        expect(sampler(SamplingOptions(topP: 0.3)).distribution(l), [(1, 1)])
        // min_p 0.3 of 0.4 is 0.12: 0.1 and 0.05 go.
        expect(sampler(SamplingOptions(minP: 0.3)).distribution(l), [(1, 0.4 / 0.85), (3, 0.25 / 0.85), (4, 0.2 / 0.85)])
        expect(sampler(SamplingOptions(minP: 1)).distribution(l), [(1, 1)])
        // In order: top 4 (mass 0.95), then top_p 0.8 of those (0.4 + 0.25 + 0.2 = 0.85 ≥ 0.76),
        // then min_p 0.55 (0.22 of 0.4: 0.2 goes).
        expect(sampler(SamplingOptions(topP: 0.8, topK: 4, minP: 0.55)).distribution(l), [(1, 0.4 / 0.65), (3, 0.25 / 0.65)])
        // top_p is measured after top_k: 0.4 / 0.65 ≥ 0.6 alone.
        expect(sampler(SamplingOptions(topP: 0.6, topK: 2)).distribution(l), [(1, 1)])
        // Temperature 0.5 squares the probabilities before renormalising.
        let squares = p.map { $0 * $0 }.reduce(0, +)
        expect(sampler(SamplingOptions(temperature: 0.5, topK: 2)).distribution(l), [(1, 0.16 / 0.2225), (3, 0.0625 / 0.2225)])
        expect(Array(sampler(SamplingOptions(temperature: 0.5)).distribution(l)[1...1]), [(1, 0.16 / squares)])
        // Ties rank the lower id first, at the top_k edge too.
        expect(sampler(SamplingOptions(topK: 2)).distribution([0, 1, 1, 1]), [(1, 0.5), (2, 0.5)])
        expect(sampler().distribution([0, 0, 0, 0]), [(0, 0.25), (1, 0.25), (2, 0.25), (3, 0.25)])
    }

    /// The filters on a real vocabulary's size agree with a plain sort of every token.
    @Test(arguments: [
        SamplingOptions(topK: 40), SamplingOptions(topP: 0.9), SamplingOptions(topP: 0.999), SamplingOptions(topP: 0.2, minP: 0.5),
        SamplingOptions(minP: 0.01), SamplingOptions(temperature: 0.7, topP: 0.95, topK: 1000, minP: 0.001), SamplingOptions(temperature: 1.5),
    ])
    func largeVocabulariesMatchAFullSort(options: SamplingOptions) {
        var random = SplitMix64(seed: 99)
        let logits = (0..<50_000).map { _ in random.nextFloat(in: -1...1) * random.nextFloat(in: 0...12) }
        let got = sampler(options).distribution(logits)

        // The reference: softmax, sort everything, cut.
        let largest = logits.max()!
        let scale = 1 / options.temperature
        let weights = logits.map { Double(exp(($0 - largest) * scale)) }
        var order = weights.indices.sorted { weights[$0] > weights[$1] || (weights[$0] == weights[$1] && $0 < $1) }
        if options.topK > 0 { order = Array(order.prefix(options.topK)) }
        let total = order.reduce(0) { $0 + weights[$1] }
        var mass = 0.0
        var end = 0
        while end < order.count && (options.topP == 1 || mass < Double(options.topP) * total * (1 - 1e-6)) {
            mass += weights[order[end]]
            end += 1
        }
        order = Array(order.prefix(end)).filter { weights[$0] >= Double(options.minP) * weights[order[0]] }
        let kept = order.reduce(0) { $0 + weights[$1] }

        #expect(got.count == order.count)
        // Without a cut the distribution comes in token order.
        let uncut = options.topK == 0 && options.topP == 1 && options.minP == 0
        if uncut { order.sort() }
        let sameTokens = got.map(\.token) == order
        #expect(sameTokens)
        let sameProbabilities = zip(got, order).allSatisfy { abs(Double($0.probability) - weights[$1] / kept) < 1e-5 }
        #expect(sameProbabilities)
        #expect(abs(got.reduce(0) { $0 + Double($1.probability) } - 1) < 1e-4)
    }

    @Test func largestSelectsAsASortDoes() {
        var random = SplitMix64(seed: 5)
        // Few distinct values, so ties are everywhere.
        let values = (0..<5000).map { _ in Float(random.next() % 50) }
        let sorted = values.indices.sorted { values[$0] > values[$1] || (values[$0] == values[$1] && $0 < $1) }
        for count in [0, 1, 2, 7, 100, 4999, 5000, 6000] {
            #expect(Sampler.largest(count, of: values) == Array(sorted.prefix(count)), "count \(count)")
        }
    }

    // MARK: Drawing

    @Test func aSeedReproducesItsTokensAndAnotherDiffers() {
        let l = logits([0.1, 0.2, 0.3, 0.15, 0.25])
        func tokens(_ sampler: Sampler) -> [Int] {
            var sampler = sampler
            return (0..<200).map { _ in sampler.sample(l) }
        }
        let first = tokens(sampler(seed: 42))
        #expect(tokens(sampler(seed: 42)) == first)
        #expect(tokens(Sampler(SamplingOptions(seed: 42))) == first)
        #expect(tokens(Sampler(SamplingOptions(seed: 1), seed: 42)) == first)
        #expect(tokens(sampler(seed: 43)) != first)
        #expect(Set(first).count == 5)
        // A point mass draws nothing: the next draws are those of a fresh generator.
        var spent = sampler(seed: 42)
        #expect(spent.draw(from: [(3, 1)]) == 3)
        #expect(tokens(spent) == first)
    }

    /// Each frequency within 4.5 standard deviations of its probability (the seed is fixed, so
    /// this passes or fails the same way every run).
    func expectFrequencies(_ counts: [Int: Int], match distribution: [(token: Int, probability: Float)], trials: Int,
                           sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(Set(counts.keys).isSubset(of: Set(distribution.map(\.token))), sourceLocation: sourceLocation)
        for (token, probability) in distribution {
            let p = Double(probability)
            let frequency = Double(counts[token] ?? 0) / Double(trials)
            let tolerance = 4.5 * (p * (1 - p) / Double(trials)).squareRoot() + 1e-9
            #expect(abs(frequency - p) <= tolerance, "token \(token): \(frequency) vs \(p) ± \(tolerance)", sourceLocation: sourceLocation)
        }
    }

    @Test func drawsFollowTheDistribution() {
        let trials = 20_000
        for options in [SamplingOptions(), SamplingOptions(temperature: 0.8, topP: 0.9, topK: 5)] {
            var draw = sampler(options, seed: 2024)
            let l = logits([0.02, 0.38, 0.1, 0.25, 0.2, 0.05])
            let distribution = draw.distribution(l)
            var counts: [Int: Int] = [:]
            for _ in 0..<trials { counts[draw.sample(l), default: 0] += 1 }
            expectFrequencies(counts, match: distribution, trials: trials)
        }
    }

    // MARK: Speculative decoding

    /// Drafts from q, verifies against p, and counts the tokens kept and the acceptances.
    func speculate(p: [(token: Int, probability: Float)], q: [(token: Int, probability: Float)], trials: Int,
                   proposer: (inout Sampler) -> Int) -> (counts: [Int: Int], accepted: Int) {
        var drafter = sampler(seed: 11)
        var verifier = sampler(seed: 12)
        var counts: [Int: Int] = [:]
        var accepted = 0
        for _ in 0..<trials {
            let drafted = proposer(&drafter)
            let result = verifier.verify(drafted: drafted, draft: q, target: p)
            if result.accepted {
                accepted += 1
                #expect(result.token == drafted)
            }
            counts[result.token, default: 0] += 1
        }
        return (counts, accepted)
    }

    @Test func verifiedTokensFollowTheTargetWhateverTheDraft() {
        let trials = 40_000
        // The draft favours what the target does not. A residual of p instead of max(0, p − q)
        // would give 0.16, 0.32, 0.52 here; of max(0, q − p), 0.4, 0.3, 0.3.
        let p = sampler().distribution(logits([0.1, 0.2, 0.7]))
        let q = sampler().distribution(logits([0.6, 0.3, 0.1]))
        let drawn = speculate(p: p, q: q, trials: trials) { $0.draw(from: q) }
        expectFrequencies(drawn.counts, match: p, trials: trials)
        // Acceptance happens with probability Σ min(p, q) = 0.4.
        #expect(abs(Double(drawn.accepted) / Double(trials) - 0.4) < 0.01)

        // A single proposed token (prompt lookup): q is a point mass, given or left empty.
        for draft in [[(token: 0, probability: Float(1))], []] {
            let lookup = speculate(p: p, q: draft, trials: trials) { _ in 0 }
            expectFrequencies(lookup.counts, match: p, trials: trials)
            #expect(abs(Double(lookup.accepted) / Double(trials) - 0.1) < 0.01)
        }

        // A wider target, with a draft of other support and a token q knows and p does not.
        let wide = sampler(SamplingOptions(temperature: 0.9)).distribution(logits([0.05, 0.15, 0.3, 0.1, 0.25, 0.15]))
        let other: [(token: Int, probability: Float)] = [(2, 0.1), (4, 0.5), (6, 0.2), (1, 0.2)]
        expectFrequencies(speculate(p: wide, q: other, trials: trials) { $0.draw(from: other) }.counts, match: wide, trials: trials)
        // The same distributions: everything is accepted.
        #expect(speculate(p: p, q: p, trials: 2000) { $0.draw(from: p) }.accepted == 2000)
    }

    @Test func greedyVerificationIsExactAndDrawsNothing() {
        var verifier = sampler(SamplingOptions(temperature: 0), seed: 42)
        let target = verifier.distribution([0.1, 2, 2, -1])  // the argmax is 1
        #expect(target.map(\.token) == [1])
        for drafted in 0..<4 {
            let result = verifier.verify(drafted: drafted, draft: [(drafted, 1)], target: target)
            #expect(result.accepted == (drafted == 1))
            #expect(result.token == 1)
            #expect(verifier.verify(drafted: drafted, draft: [], target: target) == result)
        }
        // The generator is untouched: its draws are a fresh one's.
        var fresh = sampler(SamplingOptions(temperature: 0), seed: 42)
        let spread = sampler().distribution(logits([0.3, 0.3, 0.4]))
        #expect((0..<50).map { _ in verifier.draw(from: spread) } == (0..<50).map { _ in fresh.draw(from: spread) })
    }

    // MARK: Log-probabilities

    @Test func logprobsAreTheLogSoftmaxOfTheRawLogits() {
        var random = SplitMix64(seed: 3)
        for scale: Float in [1, 10, 1000] {
            let logits = (0..<2000).map { _ in random.nextFloat(in: -1...1) * scale }
            let all = Sampler.logprobs(logits, chosen: 17, top: 20)
            let sum = logits.indices.reduce(0.0) { $0 + exp(Double(Sampler.logprobs(logits, chosen: $1, top: 0).logprob)) }
            #expect(abs(sum - 1) < 1e-3, "scale \(scale): \(sum)")
            #expect(all.token == 17)
            #expect(all.top.count == 20)
            #expect(all.top.map(\.token) == Array(logits.indices.sorted { logits[$0] > logits[$1] }.prefix(20)))
            #expect(zip(all.top, all.top.dropFirst()).allSatisfy { $0.logprob >= $1.logprob })
            #expect(all.top.allSatisfy { $0.logprob <= 0 })
            #expect(abs((all.top[0].logprob - all.logprob) - (logits[all.top[0].token] - logits[17])) < 1e-3 * scale)
        }
        // Exact on a known distribution, with penalties or sampling options playing no part.
        let small = Sampler.logprobs(logits([0.5, 0.25, 0.25]).map { $0 + 100 }, chosen: 2, top: 5)
        #expect(abs(small.logprob - log(0.25)) < 1e-5)
        #expect(small.top.map(\.token) == [0, 1, 2])
        #expect(abs(small.top[0].logprob - log(0.5)) < 1e-5)
        #expect(Sampler.logprobs([1, 2], chosen: 0, top: 0).top.isEmpty)
    }
}
