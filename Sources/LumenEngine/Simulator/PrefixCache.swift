import Synchronization

/// A model of a replica's prefix cache: prompts are cut into blocks of words, each block named by
/// a hash of everything up to it, and the least recently used blocks go when the cache is full. A
/// prompt's cached tokens are its leading blocks found in the cache.
final class PrefixCache: Sendable {
    static let blockWords = 16
    private let capacity: Int
    private let state = Mutex<(blocks: [UInt64: Int], clock: Int)>(([:], 0))

    init(capacityBlocks: Int) {
        capacity = capacityBlocks
    }

    /// The prompt's cached tokens, then its blocks are cached.
    func admit(_ prompt: String) -> Int {
        let words = prompt.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" })
        var hashes: [UInt64] = []
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for (index, word) in words.enumerated() {
            for byte in word.utf8 {
                hash ^= UInt64(byte)
                hash &*= 0x100_0000_01B3
            }
            hash ^= 0x20
            hash &*= 0x100_0000_01B3
            if (index + 1) % Self.blockWords == 0 { hashes.append(hash) }
        }
        return state.withLock { state in
            var cached = 0
            while cached < hashes.count, state.blocks[hashes[cached]] != nil { cached += 1 }
            for block in hashes {
                state.clock += 1
                state.blocks[block] = state.clock
            }
            if state.blocks.count > capacity {
                // Evict the oldest tenth at once, so eviction's scan is paid rarely.
                let keep = state.blocks.sorted { $0.value > $1.value }.prefix(capacity * 9 / 10)
                state.blocks = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
            }
            return cached * Self.blockWords
        }
    }
}
