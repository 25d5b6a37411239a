/// Paged key/value memory: fixed-size blocks of `blockSize` positions, each holding every layer's
/// keys and values for those positions. A sequence owns a table of blocks; full blocks may be
/// shared (the prefix cache), so blocks are reference-counted and return to the free list at zero.
/// Used only from the engine's own thread.
final class KVBlockPool: @unchecked Sendable {
    /// Attention scores a block's keys as one 16-lane vector: blocks are 16 positions.
    static let defaultBlockSize = 16

    let blockSize: Int
    let blockCount: Int
    let layers: Int
    let width: Int
    let keys: UnsafeMutablePointer<Float>
    let values: UnsafeMutablePointer<Float>
    private(set) var referenceCounts: [Int]
    private var free: [Int]

    init(blocks: Int, layers: Int, width: Int) {
        blockSize = Self.defaultBlockSize
        blockCount = blocks
        self.layers = layers
        self.width = width
        let floats = blocks * layers * blockSize * width
        keys = .allocate(capacity: floats)
        values = .allocate(capacity: floats)
        referenceCounts = Array(repeating: 0, count: blocks)
        free = Array((0..<blocks).reversed())
    }

    deinit {
        keys.deallocate()
        values.deallocate()
    }

    var freeBlocks: Int { free.count }
    var capacity: Int { blockCount * blockSize }

    /// A fresh block with one reference, or nil when none is free.
    func allocate() -> Int? {
        guard let block = free.popLast() else { return nil }
        referenceCounts[block] = 1
        return block
    }

    func retain(_ block: Int) { referenceCounts[block] += 1 }

    func release(_ block: Int) {
        referenceCounts[block] -= 1
        if referenceCounts[block] == 0 { free.append(block) }
    }

    /// Where the block holding `position` of a sequence with `table` keeps `layer`'s vectors
    /// (`blockSize` × `width` floats), and the position's slot in it. Values are slot-major (a
    /// position's vector is contiguous); keys dimension-major (a dimension's values for the
    /// block's 16 positions are contiguous), so attention scores a whole block per vector operation.
    @inline(__always)
    func block(table: [Int], position: Int, layer: Int) -> (offset: Int, slot: Int) {
        ((table[position / blockSize] * layers + layer) * blockSize * width, position % blockSize)
    }

    func blocksNeeded(forPositions positions: Int) -> Int { (positions + blockSize - 1) / blockSize }
}
