/// The prefix cache: a radix tree whose edges are whole blocks of tokens and whose nodes hold the
/// key/value block computed for them. A prompt that starts with cached blocks reuses them instead
/// of computing them again. The tree holds one reference to each of its blocks; a block only the
/// tree holds can be evicted, least recently used leaf first, when the pool runs out.
final class PrefixTree {
    final class Node {
        let block: Int
        var children: [[Int]: Node] = [:]
        weak var parent: Node?
        let key: [Int]
        var lastUse: UInt64 = 0

        init(block: Int, key: [Int], parent: Node?) {
            self.block = block
            self.key = key
            self.parent = parent
        }
    }

    private let root = Node(block: -1, key: [], parent: nil)
    private var clock: UInt64 = 0
    private(set) var blockCount = 0
    let blockSize: Int

    init(blockSize: Int) {
        self.blockSize = blockSize
    }

    /// The cached blocks for the first `limit` whole blocks of `tokens`, as far as they match.
    func match(_ tokens: [Int], limit: Int) -> [Int] {
        clock += 1
        var node = root
        var blocks: [Int] = []
        while blocks.count < limit, let child = node.children[Array(tokens[(blocks.count * blockSize)..<((blocks.count + 1) * blockSize)])] {
            child.lastUse = clock
            blocks.append(child.block)
            node = child
        }
        return blocks
    }

    /// Caches the first `count` whole blocks of `tokens`, computed in `table`'s blocks. Blocks
    /// already cached for the same tokens stay; the rest join the tree.
    func insert(_ tokens: [Int], table: [Int], count: Int, pool: KVBlockPool) {
        clock += 1
        var node = root
        for index in 0..<count {
            let key = Array(tokens[(index * blockSize)..<((index + 1) * blockSize)])
            if let child = node.children[key] {
                // Cached already, from another sequence's blocks: this sequence's later blocks stay
                // out, so that no cached block ever sits above one a running sequence holds alone
                // (which would make it impossible to evict while it looks evictable).
                guard child.block == table[index] else { return }
                node = child
            } else {
                let child = Node(block: table[index], key: key, parent: node)
                pool.retain(table[index])
                node.children[key] = child
                blockCount += 1
                node = child
            }
            node.lastUse = clock
        }
    }

    /// Blocks that eviction could free now: those in subtrees no sequence uses.
    func evictable(pool: KVBlockPool) -> Int {
        func count(_ node: Node) -> (free: Int, wholly: Bool) {
            var total = 0, wholly = true
            for child in node.children.values {
                let (free, whole) = count(child)
                total += free
                wholly = wholly && whole
            }
            guard node !== root else { return (total, wholly) }
            let unused = pool.referenceCounts[node.block] == 1
            return (total + (unused && wholly ? 1 : 0), unused && wholly)
        }
        return count(root).free
    }

    /// Frees the least recently used leaf block no sequence uses; false when there is none.
    func evictOne(pool: KVBlockPool) -> Bool {
        var oldest: Node?
        var stack = Array(root.children.values)
        while let node = stack.popLast() {
            if node.children.isEmpty {
                if pool.referenceCounts[node.block] == 1, node.lastUse < oldest?.lastUse ?? .max { oldest = node }
            } else {
                stack += node.children.values
            }
        }
        guard let oldest, let parent = oldest.parent else { return false }
        parent.children[oldest.key] = nil
        pool.release(oldest.block)
        blockCount -= 1
        return true
    }
}
