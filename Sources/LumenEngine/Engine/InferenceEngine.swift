import Foundation
import Synchronization

/// How the engine schedules and remembers.
public struct EngineOptions: Sendable {
    /// Threads for the matrix products and attention.
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    /// Tokens one forward pass may carry: every running sequence's next token (and drafts), then
    /// prompt chunks of new sequences.
    public var maxBatchTokens = 512
    /// Sequences generating at once; more wait in arrival order.
    public var maxRunning = 64
    /// Key/value positions the cache holds over all sequences; nil sizes it from the model.
    public var kvCacheTokens: Int?
    public var prefixCaching = true
    /// Propose continuations by finding the last few tokens earlier in the sequence.
    public var promptLookup = false
    /// Tokens a draft model or prompt lookup proposes per step.
    public var speculativeTokens = 4
    /// Tokens a sequence may have made that its client has not taken yet; past it, it waits.
    public var backpressureTokens = 16

    public init() {}

    /// The default cache: up to 16 contexts within 1 GiB, and at least one context or 4,096
    /// positions, whichever is fewer (a long-context model gets what 1 GiB holds, not its context).
    static func defaultCacheTokens(for c: LlamaModel.Configuration) -> Int {
        let bytesPerToken = c.layers * c.kvEmbedding * 2 * MemoryLayout<Float>.size
        return max(min(c.context, 4096), min(c.context * 16, (1 << 30) / max(1, bytesPerToken)))
    }
}

/// One sequence to generate.
struct GenerationRequest: Sendable {
    var prompt: [Int]
    var maxTokens: Int
    var sampling: SamplingOptions
    var seed: UInt64
    /// Tokens that end the sequence (not sent); empty with `ignore_eos`.
    var stopTokens: Set<Int>
    /// Alternatives to report per token; nil reports no log-probabilities.
    var topLogprobs: Int?
}

enum GenerationEvent: Sendable {
    /// Generation began; `cachedTokens` of the prompt came from the prefix cache.
    case started(cachedTokens: Int)
    case token(Int, TokenLogprobs?)
    /// "stop" (an end token) or "length" (max tokens).
    case finished(String)
}

/// A submitted sequence's events. The consumer calls `consumed()` per token it has passed on, which
/// is what lets a slow client hold back only its own sequence, and `cancel()` when it stops listening.
final class GenerationHandle: Sendable {
    let events: AsyncThrowingStream<GenerationEvent, any Error>
    fileprivate let unconsumed = Atomic<Int>(0)
    fileprivate let cancelled = Atomic<Bool>(false)
    private let wake: @Sendable () -> Void

    /// Tokens it may be ahead of its consumer.
    private let backpressure: Int

    fileprivate init(events: AsyncThrowingStream<GenerationEvent, any Error>, backpressure: Int, wake: @escaping @Sendable () -> Void) {
        self.events = events
        self.backpressure = backpressure
        self.wake = wake
    }

    func consumed() {
        // Below the limit again: the engine may run this sequence now.
        if unconsumed.subtract(1, ordering: .relaxed).newValue == backpressure - 1 { wake() }
    }

    func cancel() {
        cancelled.store(true, ordering: .relaxed)
        wake()
    }

    /// Its consumer has not taken what was made: the sequence waits rather than fill memory.
    fileprivate var isHeldBack: Bool { unconsumed.load(ordering: .relaxed) >= backpressure }
}

/// Why the engine refused a request.
struct GenerationRefusal: Error, CustomStringConvertible {
    var description: String
}

/// Continuous batching on a thread of its own: each iteration runs one forward pass holding every
/// running sequence's next token (with speculative drafts to verify) and, under the token budget,
/// chunks of waiting prompts, so new requests join while others decode. Keys and values live in a
/// paged pool shared through the prefix cache.
final class InferenceEngine: @unchecked Sendable {
    let model: LlamaModel
    let draftModel: LlamaModel?
    let options: EngineOptions
    let stats: EngineStats
    let pool: KVBlockPool
    private let draftPool: KVBlockPool?
    private let tree: PrefixTree?
    private let signal = NSCondition()
    /// Submitted, not yet seen by the engine thread (guarded by `signal`).
    private var submitted: [Sequence] = []
    private var stopping = false

    // The engine thread's own state.
    private var waiting: [Sequence] = []
    private var running: [Sequence] = []
    /// Blocks running sequences may still allocate (their reservations).
    private var committed = 0

    init(model: LlamaModel, draftModel: LlamaModel? = nil, options: EngineOptions, stats: EngineStats) {
        self.model = model
        self.draftModel = draftModel
        self.options = options
        self.stats = stats
        let tokens = options.kvCacheTokens ?? EngineOptions.defaultCacheTokens(for: model.configuration)
        let blocks = max(1, (tokens + KVBlockPool.defaultBlockSize - 1) / KVBlockPool.defaultBlockSize)
        pool = KVBlockPool(blocks: blocks, layers: model.configuration.layers, width: model.configuration.kvEmbedding)
        draftPool = draftModel.map { KVBlockPool(blocks: blocks, layers: $0.configuration.layers, width: $0.configuration.kvEmbedding) }
        tree = options.prefixCaching ? PrefixTree(blockSize: KVBlockPool.defaultBlockSize) : nil
        stats.kvCacheCapacity.store(pool.capacity, ordering: .relaxed)
        let thread = Thread { [self] in loop() }
        thread.name = "lumen-engine generation"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Positions a request reserves: its prompt and its answer (drafts never run past its end).
    private func positions(_ request: GenerationRequest) -> Int {
        request.prompt.count + request.maxTokens
    }

    private var speculates: Bool { draftModel != nil || options.promptLookup }

    /// Queues `request`; refuses at once one that the whole cache could never hold.
    func submit(_ request: GenerationRequest) throws(GenerationRefusal) -> GenerationHandle {
        guard !request.prompt.isEmpty else { throw GenerationRefusal(description: "the prompt has no tokens; send at least one token of text") }
        let needed = positions(request)
        guard pool.blocksNeeded(forPositions: needed) <= pool.blockCount else {
            throw GenerationRefusal(description: "this request needs \(needed) key/value positions (prompt \(request.prompt.count) + max_tokens \(request.maxTokens)), "
                + "and the whole cache holds \(pool.capacity); lower max_tokens, or start lumen-engine with a larger --kv-cache-tokens")
        }
        let (events, continuation) = AsyncThrowingStream<GenerationEvent, any Error>.makeStream()
        let handle = GenerationHandle(events: events, backpressure: options.backpressureTokens) { [signal] in
            signal.lock()
            signal.signal()
            signal.unlock()
        }
        let sequence = Sequence(request: request, handle: handle, continuation: continuation)
        continuation.onTermination = { @Sendable _ in handle.cancel() }
        signal.lock()
        submitted.append(sequence)
        signal.signal()
        signal.unlock()
        stats.waiting.add(1, ordering: .relaxed)
        return handle
    }

    /// Ends the engine thread; sequences still running end without a finish event.
    func stop() {
        signal.lock()
        stopping = true
        signal.signal()
        signal.unlock()
    }

    // MARK: - The engine thread

    private func loop() {
        var worked = true
        while true {
            signal.lock()
            if stopping {
                signal.unlock()
                for sequence in running + waiting + submitted { sequence.continuation.finish(throwing: CancellationError()) }
                return
            }
            // Sleep when idle; when every sequence waits for its client, until one takes a token.
            if submitted.isEmpty && waiting.isEmpty && running.isEmpty {
                signal.wait()
            } else if submitted.isEmpty && !worked {
                _ = signal.wait(until: Date().addingTimeInterval(0.005))
            }
            waiting += submitted
            submitted.removeAll()
            signal.unlock()
            stats.progressed()
            worked = iterate()
        }
    }

    /// One forward pass; false when no sequence could run.
    private func iterate() -> Bool {
        for sequence in running where sequence.handle.cancelled.load(ordering: .relaxed) { sequence.done = true }
        retireDone()
        waiting.removeAll { sequence in
            guard sequence.handle.cancelled.load(ordering: .relaxed) else { return false }
            stats.waiting.subtract(1, ordering: .relaxed)
            sequence.continuation.finish()
            return true
        }
        admit()
        var batch = LlamaModel.Batch()
        var work: [(sequence: Sequence, rows: Int, drafts: [Int], draftDistributions: [[(token: Int, probability: Float)]])] = []
        var budget = options.maxBatchTokens
        // Decoding sequences first: one token each, plus drafts to verify (drafted only for as many
        // as the budget can take).
        let decoding = Array(running.filter { $0.pending == 1 && !$0.handle.isHeldBack }.prefix(budget))
        let proposals = propose(for: decoding)
        for sequence in decoding where budget > 0 {
            let (drafts, distributions) = proposals[ObjectIdentifier(sequence)] ?? ([], [])
            let kept = Array(drafts.prefix(max(0, budget - 1)))
            append(sequence, count: 1 + kept.count, extra: kept, to: &batch)
            work.append((sequence, 1 + kept.count, kept, Array(distributions.prefix(kept.count))))
            budget -= 1 + kept.count
        }
        // Then prompts, in chunks, oldest first.
        for sequence in running where sequence.pending > 1 && budget > 0 {
            let count = min(sequence.pending, budget)
            append(sequence, count: count, extra: [], to: &batch)
            work.append((sequence, count, [], []))
            budget -= count
        }
        guard !work.isEmpty else { return false }
        let logits = model.forward(batch, pool: pool, threads: options.threads)
        var next = logits.makeIterator()
        for item in work {
            let sequence = item.sequence
            let wantsLogits = item.rows == sequence.pending + item.drafts.count
            if sequence.generated == 0 { stats.promptTokens.add(item.rows - item.drafts.count, ordering: .relaxed) }
            sequence.computed += item.rows - item.drafts.count
            guard wantsLogits else { continue }
            let rows = (0...item.drafts.count).compactMap { _ in next.next() }
            accept(sequence, logits: rows, drafts: item.drafts, draftDistributions: item.draftDistributions)
        }
        retireDone()
        recordCacheUse()
        return true
    }

    private func retireDone() {
        running.removeAll { sequence in
            guard sequence.done else { return false }
            finish(sequence)
            return true
        }
    }

    private func recordCacheUse() {
        stats.cacheTokens.store(pool.capacity - pool.freeBlocks * pool.blockSize, ordering: .relaxed)
    }

    /// Adds `count` rows of `sequence` (its pending tokens, then `extra` drafts) to `batch`,
    /// allocating the blocks they need.
    private func append(_ sequence: Sequence, count: Int, extra: [Int], to batch: inout LlamaModel.Batch) {
        let pendingRows = count - extra.count
        let end = sequence.computed + count
        while sequence.table.count < pool.blocksNeeded(forPositions: end) {
            sequence.table.append(allocateBlock(for: sequence))
        }
        let index = batch.tables.count
        batch.tables.append(sequence.table)
        for offset in 0..<pendingRows {
            let position = sequence.computed + offset
            let last = offset == pendingRows - 1 && pendingRows == sequence.pending
            batch.append(token: sequence.tokens[position], position: position, sequence: index, wantsLogits: last)
        }
        for (offset, draft) in extra.enumerated() {
            batch.append(token: draft, position: sequence.computed + pendingRows + offset, sequence: index, wantsLogits: true)
        }
    }

    /// A block from the free list, else from the prefix cache's least recently used; the
    /// admission reservation guarantees one of them has it.
    private func allocateBlock(for sequence: Sequence) -> Int {
        if sequence.reservation > 0 {
            sequence.reservation -= 1
            committed -= 1
        }
        while true {
            if let block = pool.allocate() { return block }
            guard tree?.evictOne(pool: pool) == true else {
                fatalError("the key/value pool ran out despite reservations; this is a bug in lumen-engine's admission")
            }
        }
    }

    /// Admits waiting sequences, in arrival order, while their reservations fit.
    private func admit() {
        while let sequence = waiting.first, running.count < options.maxRunning {
            let prompt = sequence.request.prompt
            // Reuse whole cached blocks, leaving at least the prompt's last token to run for logits.
            let matched = tree?.match(prompt, limit: (prompt.count - 1) / pool.blockSize) ?? []
            let needed = pool.blocksNeeded(forPositions: positions(sequence.request)) - matched.count
            let available = pool.freeBlocks + (tree?.evictable(pool: pool) ?? 0) - committed
            // A matched block only the tree holds counts as available; using it takes it out of that count.
            let matchedEvictable = matched.filter { pool.referenceCounts[$0] == 1 }.count
            guard needed <= available - matchedEvictable else { break }
            waiting.removeFirst()
            stats.waiting.subtract(1, ordering: .relaxed)
            for block in matched { pool.retain(block) }
            sequence.table = matched
            sequence.computed = matched.count * pool.blockSize
            sequence.reservation = needed
            committed += needed
            if tree != nil {
                stats.prefixQueriedTokens.add(prompt.count, ordering: .relaxed)
                stats.prefixHitTokens.add(sequence.computed, ordering: .relaxed)
            }
            stats.requests.add(1, ordering: .relaxed)
            stats.running.add(1, ordering: .relaxed)
            sequence.continuation.yield(.started(cachedTokens: sequence.computed))
            running.append(sequence)
        }
    }

    /// Samples after `logits` (one row per verified position), accepting drafts while they hold.
    private func accept(_ sequence: Sequence, logits: [[Float]], drafts: [Int], draftDistributions: [[(token: Int, probability: Float)]]) {
        var accepted = 0
        for (index, row) in logits.enumerated() {
            let token: Int
            if index < drafts.count {
                let target = sequence.sampler.distribution(row)
                let draft = index < draftDistributions.count ? draftDistributions[index] : [(token: drafts[index], probability: Float(1))]
                let verdict = sequence.sampler.verify(drafted: drafts[index], draft: draft, target: target)
                token = verdict.token
                if verdict.accepted { accepted += 1 }
                stats.speculativeProposed.add(1, ordering: .relaxed)
                if verdict.accepted { stats.speculativeAccepted.add(1, ordering: .relaxed) }
                emit(token, logits: row, to: sequence)
                if !verdict.accepted || sequence.done { break }
            } else {
                token = sequence.sampler.sample(row)
                emit(token, logits: row, to: sequence)
            }
        }
        // The accepted drafts' keys and values are already in the cache.
        sequence.computed += accepted
        sequence.draftComputed = min(sequence.draftComputed, sequence.computed)
        if tree != nil && !sequence.promptCached && sequence.computed >= sequence.request.prompt.count {
            sequence.promptCached = true
            tree?.insert(sequence.tokens, table: sequence.table, count: min(sequence.computed, sequence.tokens.count) / pool.blockSize, pool: pool)
        }
    }

    private func emit(_ token: Int, logits: [Float], to sequence: Sequence) {
        if sequence.request.stopTokens.contains(token) {
            sequence.finishReason = "stop"
            sequence.done = true
            return
        }
        sequence.tokens.append(token)
        sequence.sampler.record(token)
        stats.generatedTokens.add(1, ordering: .relaxed)
        let logprobs = sequence.request.topLogprobs.map { Sampler.logprobs(logits, chosen: token, top: $0) }
        sequence.handle.unconsumed.add(1, ordering: .relaxed)
        sequence.continuation.yield(.token(token, logprobs))
        if sequence.generated >= sequence.request.maxTokens {
            sequence.finishReason = "length"
            sequence.done = true
        }
    }

    private func finish(_ sequence: Sequence) {
        if let tree {
            tree.insert(sequence.tokens, table: sequence.table, count: min(sequence.computed, sequence.tokens.count) / pool.blockSize, pool: pool)
        }
        for block in sequence.table { pool.release(block) }
        sequence.table = []
        if let draftPool {
            for block in sequence.draftTable { draftPool.release(block) }
            sequence.draftTable = []
        }
        committed -= sequence.reservation
        sequence.reservation = 0
        // Counted before the client hears of the end, so what it reads next is current.
        stats.running.subtract(1, ordering: .relaxed)
        recordCacheUse()
        if sequence.handle.cancelled.load(ordering: .relaxed) {
            sequence.continuation.finish()
        } else {
            sequence.continuation.yield(.finished(sequence.finishReason))
            sequence.continuation.finish()
        }
    }

    // MARK: - Speculation

    /// Draft tokens (and the draft's distributions, for sampling) per decoding sequence.
    private func propose(for sequences: [Sequence]) -> [ObjectIdentifier: ([Int], [[(token: Int, probability: Float)]])] {
        guard speculates, !sequences.isEmpty else { return [:] }
        let k = options.speculativeTokens
        // Never draft past the answer's end: the last token is the target's own.
        let room = { (sequence: Sequence) in min(k, sequence.request.maxTokens - sequence.generated - 1) }
        var proposals: [ObjectIdentifier: ([Int], [[(token: Int, probability: Float)]])] = [:]
        if draftModel == nil {
            for sequence in sequences where room(sequence) > 0 {
                let drafts = Self.lookup(sequence.tokens, count: room(sequence))
                if !drafts.isEmpty { proposals[ObjectIdentifier(sequence)] = (drafts, []) }
            }
            return proposals
        }
        return proposeWithDraftModel(sequences.filter { room($0) > 0 }, room: room)
    }

    /// Prompt lookup: the tokens that followed the latest earlier occurrence of the sequence's last
    /// 3 (else 2) tokens.
    static func lookup(_ tokens: [Int], count: Int) -> [Int] {
        for n in stride(from: 3, through: 2, by: -1) where tokens.count > n {
            let tail = tokens[(tokens.count - n)...]
            var start = tokens.count - n - 1
            while start >= 0 {
                if tokens[start..<(start + n)].elementsEqual(tail) {
                    let from = start + n
                    return Array(tokens[from..<min(tokens.count, from + count)])
                }
                start -= 1
            }
        }
        return []
    }

    private func proposeWithDraftModel(_ sequences: [Sequence], room: (Sequence) -> Int) -> [ObjectIdentifier: ([Int], [[(token: Int, probability: Float)]])] {
        guard let draftModel, let draftPool else { return [:] }
        var proposals: [ObjectIdentifier: ([Int], [[(token: Int, probability: Float)]])] = [:]
        var active = sequences
        var round = 0
        while !active.isEmpty {
            var batch = LlamaModel.Batch()
            var included: [Sequence] = []
            for sequence in active {
                // A sequence the last step left out of its batch still has its earlier drafts counted.
                if round == 0 { sequence.draftComputed = min(sequence.draftComputed, sequence.computed) }
                // First round: catch the draft's cache up with the sequence; then one draft at a time.
                let tokens = round == 0 ? Array(sequence.tokens[sequence.draftComputed...]) : [proposals[ObjectIdentifier(sequence)]?.0.last ?? 0]
                let end = sequence.draftComputed + tokens.count
                var table = sequence.draftTable
                while table.count < draftPool.blocksNeeded(forPositions: end), let block = draftPool.allocate() { table.append(block) }
                sequence.draftTable = table
                guard table.count >= draftPool.blocksNeeded(forPositions: end) else { continue }
                let index = batch.tables.count
                batch.tables.append(table)
                for (offset, token) in tokens.enumerated() {
                    batch.append(token: token, position: sequence.draftComputed + offset, sequence: index, wantsLogits: offset == tokens.count - 1)
                }
                sequence.draftComputed = end
                included.append(sequence)
            }
            let logits = draftModel.forward(batch, pool: draftPool, threads: options.threads)
            for (sequence, row) in zip(included, logits) {
                let distribution = sequence.sampler.distribution(row)
                let token = sequence.sampler.draw(from: distribution)
                var proposal = proposals[ObjectIdentifier(sequence)] ?? ([], [])
                proposal.0.append(token)
                proposal.1.append(distribution)
                proposals[ObjectIdentifier(sequence)] = proposal
            }
            round += 1
            active = included.filter { (proposals[ObjectIdentifier($0)]?.0.count ?? 0) < room($0) }
        }
        // The draft ran its own proposals except the last; the target's verdict decides what stays.
        return proposals
    }
}

/// A sequence in the engine: owned by the engine thread.
private final class Sequence {
    let request: GenerationRequest
    let handle: GenerationHandle
    let continuation: AsyncThrowingStream<GenerationEvent, any Error>.Continuation
    var sampler: Sampler
    /// Prompt and generated tokens; the last may not have been run yet.
    var tokens: [Int]
    /// Positions whose keys and values are in the cache.
    var computed = 0
    var table: [Int] = []
    var reservation = 0
    var done = false
    var finishReason = "length"
    var promptCached = false
    var draftTable: [Int] = []
    var draftComputed = 0

    init(request: GenerationRequest, handle: GenerationHandle, continuation: AsyncThrowingStream<GenerationEvent, any Error>.Continuation) {
        self.request = request
        self.handle = handle
        self.continuation = continuation
        sampler = Sampler(request.sampling, seed: request.seed)
        tokens = request.prompt
    }

    /// Tokens still to run before the next sample.
    var pending: Int { tokens.count - computed }

    /// Tokens generated so far.
    var generated: Int { tokens.count - request.prompt.count }
}
