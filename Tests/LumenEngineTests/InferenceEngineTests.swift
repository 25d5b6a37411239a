import Foundation
import Synchronization
import Testing
@testable import LumenEngine

/// Continuous batching, the prefix cache and speculative decoding change how work is scheduled,
/// never which tokens greedy decoding picks: each is checked against the model decoding alone.
@Suite struct InferenceEngineTests {
    static func model(_ configure: (inout TinyModel) -> Void = { _ in }) throws -> LlamaModel {
        var tiny = TinyModel()
        configure(&tiny)
        let path = NSTemporaryDirectory() + "lumen-engine-\(UUID().uuidString.prefix(8)).gguf"
        try tiny.writer().write(to: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try LlamaModel(file: try GGUFFile(path: path))
    }

    static func greedy(_ prompt: [Int], maxTokens: Int) -> GenerationRequest {
        GenerationRequest(prompt: prompt, maxTokens: maxTokens, sampling: SamplingOptions(temperature: 0), seed: 1, stopTokens: [], topLogprobs: nil)
    }

    /// Every token event of `handle`, taken as they come, and the cached prompt tokens.
    static func collect(_ handle: GenerationHandle) async throws -> (tokens: [Int], cached: Int, finish: String?) {
        var tokens: [Int] = [], cached = 0, finish: String?
        for try await event in handle.events {
            switch event {
            case .started(let count): cached = count
            case .token(let token, _):
                tokens.append(token)
                handle.consumed()
            case .finished(let reason): finish = reason
            }
        }
        return (tokens, cached, finish)
    }

    static func prompt(_ seed: Int, length: Int) -> [Int] {
        [1] + (0..<(length - 1)).map { 3 + (seed * 31 + $0 * 7) % 250 }
    }

    @Test func aSequenceBatchedWithFifteenOthersDecodesAsItDoesAlone() async throws {
        let model = try Self.model()
        var options = EngineOptions()
        options.threads = 2
        options.maxBatchTokens = 40  // small, so long prompts are prefilled in chunks beside decoding sequences
        let engine = InferenceEngine(model: model, options: options, stats: EngineStats())
        defer { engine.stop() }
        let prompts = (0..<16).map { Self.prompt($0, length: 5 + $0 * 6) }
        let results = try await withThrowingTaskGroup(of: (Int, [Int]).self) { group in
            for (index, prompt) in prompts.enumerated() {
                let handle = try engine.submit(Self.greedy(prompt, maxTokens: 20 + index))
                group.addTask { (index, try await Self.collect(handle).tokens) }
            }
            var results: [Int: [Int]] = [:]
            for try await (index, tokens) in group { results[index] = tokens }
            return results
        }
        for (index, prompt) in prompts.enumerated() {
            #expect(results[index] == (try model.greedy(prompt, maxTokens: 20 + index)), "sequence \(index)")
        }
    }

    @Test func thePrefixCacheReusesBlocksWithoutChangingTheAnswer() async throws {
        let model = try Self.model()
        let stats = EngineStats()
        let cached = InferenceEngine(model: model, options: EngineOptions(), stats: stats)
        var off = EngineOptions()
        off.prefixCaching = false
        let uncached = InferenceEngine(model: model, options: off, stats: EngineStats())
        defer {
            cached.stop()
            uncached.stop()
        }
        let shared = Self.prompt(3, length: 70)
        _ = try await Self.collect(try cached.submit(Self.greedy(shared + [40, 41], maxTokens: 8)))
        let follow = shared + [50, 51, 52]
        let warm = try await Self.collect(try cached.submit(Self.greedy(follow, maxTokens: 24)))
        let cold = try await Self.collect(try uncached.submit(Self.greedy(follow, maxTokens: 24)))
        // 70 shared tokens: the first four whole blocks of 16.
        #expect(warm.cached == 64 && cold.cached == 0)
        let alone = try model.greedy(follow, maxTokens: 24)
        #expect(warm.tokens == cold.tokens && warm.tokens == alone)
        #expect(stats.prefixHitTokens.load(ordering: .relaxed) == 64)
        // The same prompt again: all but its last token's block comes from the cache.
        let again = try await Self.collect(try cached.submit(Self.greedy(follow, maxTokens: 24)))
        #expect(again.cached == 64 && again.tokens == warm.tokens)
    }

    @Test func theCacheEvictsLeastRecentlyUsedPrefixesWhenFull() async throws {
        let model = try Self.model()
        var options = EngineOptions()
        options.kvCacheTokens = 160  // ten blocks
        let engine = InferenceEngine(model: model, options: options, stats: EngineStats())
        defer { engine.stop() }
        // Each 40-token prompt with 8 tokens leaves two or three cached blocks; five of them overflow ten blocks.
        var answers: [[Int]] = []
        for seed in 0..<5 {
            let prompt = Self.prompt(seed, length: 40)
            let result = try await Self.collect(try engine.submit(Self.greedy(prompt, maxTokens: 8)))
            #expect(result.tokens == (try model.greedy(prompt, maxTokens: 8)))
            answers.append(result.tokens)
        }
        // Each kept its 2 whole blocks until the fifth needed room: the oldest prompt's last block went first.
        let newest = try await Self.collect(try engine.submit(Self.greedy(Self.prompt(4, length: 40), maxTokens: 8)))
        let oldest = try await Self.collect(try engine.submit(Self.greedy(Self.prompt(0, length: 40), maxTokens: 8)))
        #expect(newest.cached == 32 && oldest.cached == 16)
        #expect(newest.tokens == answers[4] && oldest.tokens == answers[0])
    }

    @Test func speculativeDecodingKeepsGreedyOutputExact() async throws {
        let model = try Self.model()
        let otherDraft = try Self.model { $0.seed = 9 }
        let repetitive = [1] + Array(repeating: [20, 21, 22, 23, 24, 25], count: 6).flatMap { $0 }
        let expected = try model.greedy(repetitive, maxTokens: 40)
        for (name, draft, lookup) in [("prompt lookup", nil, true), ("itself as draft", model, false), ("another model as draft", otherDraft, false)] {
            var options = EngineOptions()
            options.promptLookup = lookup
            options.speculativeTokens = 3
            let stats = EngineStats()
            let engine = InferenceEngine(model: model, draftModel: draft, options: options, stats: stats)
            defer { engine.stop() }
            let result = try await Self.collect(try engine.submit(Self.greedy(repetitive, maxTokens: 40)))
            #expect(result.tokens == expected, "\(name)")
            let proposed = stats.speculativeProposed.load(ordering: .relaxed), accepted = stats.speculativeAccepted.load(ordering: .relaxed)
            #expect(proposed > 0, "\(name) proposed nothing")
            if draft === model { #expect(accepted == proposed, "a model agrees with itself") }
            // Accepted drafts save forward passes: fewer passes than tokens.
            if accepted > 0 { #expect(stats.generatedTokens.load(ordering: .relaxed) == 40) }
        }
    }

    @Test func aSlowConsumerHoldsBackOnlyItsOwnSequence() async throws {
        let model = try Self.model()
        var options = EngineOptions()
        options.backpressureTokens = 8
        let stats = EngineStats()
        let engine = InferenceEngine(model: model, options: options, stats: stats)
        defer { engine.stop() }
        let slow = try engine.submit(Self.greedy(Self.prompt(1, length: 10), maxTokens: 60))
        var iterator = slow.events.makeAsyncIterator()
        var taken: [Int] = []
        // Take eight tokens without passing them on.
        while taken.count < 8, let event = try await iterator.next() {
            if case .token(let token, _) = event { taken.append(token) }
        }
        let fast = try await Self.collect(try engine.submit(Self.greedy(Self.prompt(2, length: 10), maxTokens: 50)))
        #expect(fast.tokens.count == 50)
        // The slow sequence made nothing past what its client has not taken.
        #expect(stats.generatedTokens.load(ordering: .relaxed) == 58)
        for _ in taken { slow.consumed() }
        while let event = try await iterator.next() {
            if case .token(let token, _) = event {
                taken.append(token)
                slow.consumed()
            }
        }
        #expect(taken == (try model.greedy(Self.prompt(1, length: 10), maxTokens: 60)))
    }

    @Test func requestsTheCacheCannotHoldAreRefusedAndOthersWait() async throws {
        let model = try Self.model()
        var options = EngineOptions()
        options.kvCacheTokens = 64
        let engine = InferenceEngine(model: model, options: options, stats: EngineStats())
        defer { engine.stop() }
        #expect { try engine.submit(Self.greedy([], maxTokens: 4)) } throws: { "\($0)".contains("no tokens") }
        #expect { try engine.submit(Self.greedy(Self.prompt(1, length: 30), maxTokens: 40)) } throws: {
            "\($0)".contains("needs 70 key/value positions") && "\($0)".contains("--kv-cache-tokens")
        }
        // Two that each fit, but not together: the second waits for the first, then runs.
        let first = try engine.submit(Self.greedy(Self.prompt(1, length: 20), maxTokens: 20))
        let second = try engine.submit(Self.greedy(Self.prompt(2, length: 20), maxTokens: 20))
        let (a, b) = (try await Self.collect(first), try await Self.collect(second))
        #expect(a.tokens == (try model.greedy(Self.prompt(1, length: 20), maxTokens: 20)))
        #expect(b.tokens == (try model.greedy(Self.prompt(2, length: 20), maxTokens: 20)))
    }

    @Test func aCancelledSequenceFreesItsBlocks() async throws {
        let model = try Self.model()
        var options = EngineOptions()
        options.prefixCaching = false
        options.backpressureTokens = 4
        let engine = InferenceEngine(model: model, options: options, stats: EngineStats())
        defer { engine.stop() }
        let free = engine.pool.freeBlocks
        let handle = try engine.submit(Self.greedy(Self.prompt(1, length: 40), maxTokens: 200))
        for try await event in handle.events {
            if case .token = event { break }
        }
        handle.cancel()
        // Every block comes back once the engine sees the cancellation.
        let next = try await Self.collect(try engine.submit(Self.greedy(Self.prompt(2, length: 8), maxTokens: 4)))
        #expect(next.tokens.count == 4)
        for _ in 0..<200 where engine.pool.freeBlocks != free { try await Task.sleep(for: .milliseconds(10)) }
        #expect(engine.pool.freeBlocks == free)
    }

    @Test func theTreeNeverHangsASequencesOwnBlockUnderAnotherSequencesBlocks() {
        let pool = KVBlockPool(blocks: 8, layers: 1, width: 2)
        let tree = PrefixTree(blockSize: pool.blockSize)
        let tokens = Array(0..<48)
        // Two sequences computed the same two blocks each; the second has a third of its own.
        let first = (0..<2).compactMap { _ in pool.allocate() }, second = (0..<3).compactMap { _ in pool.allocate() }
        tree.insert(tokens, table: first, count: 2, pool: pool)
        tree.insert(tokens, table: second, count: 3, pool: pool)
        #expect(tree.blockCount == 2)
        for block in first + second { pool.release(block) }
        // Only the first's blocks are cached, and both can be evicted once no sequence holds them.
        #expect(tree.evictable(pool: pool) == 2 && pool.freeBlocks == 6)
        #expect(tree.evictOne(pool: pool) && tree.evictOne(pool: pool) && !tree.evictOne(pool: pool))
        #expect(pool.freeBlocks == 8)
    }

    @Test func streamedTextKeepsCharactersThatLaterTokensCombine() throws {
        let tokenizer = try SentencePieceTokenizer(pieces: TinyModel.vocabulary().pieces, scores: TinyModel.vocabulary().scores,
                                                   types: TinyModel.vocabulary().types, unknown: 0)
        let bytes = Array("कि है".utf8)
        let ids = bytes.map { byte in tokenizer.pieces.firstIndex(of: String(format: "<0x%02X>", byte)) ?? 0 }
        var choice = EngineServer.ChoiceText(tokenizer: tokenizer, stops: [])
        var streamed = ids.compactMap { choice.add($0, nil) }.joined()
        streamed += choice.flush() ?? ""
        // "ि" joins "क" into one grapheme after "क" was sent; it must still be sent.
        #expect(streamed == "कि है" && choice.sent == "कि है")
    }
}
