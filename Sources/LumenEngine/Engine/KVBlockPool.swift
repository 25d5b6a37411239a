/// Paged key/value memory: fixed-size blocks of `blockSize` positions, each holding every layer's
/// keys and values for those positions. A sequence owns a table of blocks; full blocks may be
/// shared (the prefix cache), so blocks are reference-counted and return to the free list at zero.
/// Used only from the engine's own thread.
final class KVBlockPool: @unchecked Sendable {
    static let defaultBlockSize = 16

    let blockSize: Int
    let blockCount: Int
    let layers: Int
    let width: Int
    let keys: UnsafeMutablePointer<Float>
    let values: UnsafeMutablePointer<Float>
    private(set) var referenceCounts: [Int]
    private var free: [Int]

    init(blocks: Int, blockSize: Int = KVBlockPool.defaultBlockSize, layers: Int, width: Int) {
        self.blockSize = blockSize
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

    /// Where position `position` of a sequence with `table` keeps `layer`'s vector.
    @inline(__always)
    func offset(table: [Int], position: Int, layer: Int) -> Int {
        ((table[position / blockSize] * layers + layer) * blockSize + position % blockSize) * width
    }

    func blocksNeeded(forPositions positions: Int) -> Int { (positions + blockSize - 1) / blockSize }
}
