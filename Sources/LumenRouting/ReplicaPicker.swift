/// The order in which to try a model's replicas. Requests that share a prompt prefix go to the
/// replica that likely holds it in its prefix cache (rendezvous hashing on the prompt's first
/// block), unless that replica carries more than its share of the load (bounded load); requests
/// with no shared prefix to speak of go to the less loaded of two random replicas.
public enum ReplicaPicker {
    /// Bytes of prompt that identify a prefix worth keeping together.
    public static let blockBytes = 512

    public struct Replica: Sendable {
        public var id: String
        public var inFlight: Int

        public init(id: String, inFlight: Int) {
            self.id = id
            self.inFlight = inFlight
        }
    }

    /// The prompt's first block, hashed; nil when the prompt is shorter than a block.
    public static func prefixKey(_ prompt: String) -> UInt64? {
        let bytes = prompt.utf8
        guard bytes.count >= blockBytes else { return nil }
        return fnv1a(bytes.prefix(blockBytes))
    }

    /// `loadFactor`: a replica whose in-flight count passes this multiple of the mean (plus one)
    /// is passed over for the prefix's next choice. `draw` picks the two random replicas.
    public static func order(_ replicas: [Replica], prefixKey: UInt64?, loadFactor: Double = 2, draw: UInt64) -> [String] {
        guard replicas.count > 1 else { return replicas.map(\.id) }
        let mean = Double(replicas.reduce(0) { $0 + $1.inFlight }) / Double(replicas.count)
        let bound = mean * loadFactor + 1
        if let prefixKey {
            let ranked = replicas.sorted { fnv1a(prefixKey, $0.id) > fnv1a(prefixKey, $1.id) }
            let fits = ranked.filter { Double($0.inFlight) < bound }
            return (fits + ranked.filter { Double($0.inFlight) >= bound }).map(\.id)
        }
        // Power of two choices: the less loaded of two distinct random replicas first, then the rest by load.
        let first = Int(draw % UInt64(replicas.count))
        let second = (first + 1 + Int((draw / UInt64(replicas.count)) % UInt64(replicas.count - 1))) % replicas.count
        let pick = replicas[second].inFlight < replicas[first].inFlight ? second : first
        let rest = replicas.indices.filter { $0 != pick }.sorted { (replicas[$0].inFlight, $0) < (replicas[$1].inFlight, $1) }
        return ([pick] + rest).map { replicas[$0].id }
    }

    static func fnv1a(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01B3
        }
        return hash
    }

    static func fnv1a(_ key: UInt64, _ id: String) -> UInt64 {
        var hash = fnv1a(id.utf8) ^ key
        // Mix, so that nearby keys spread over replicas.
        hash ^= hash >> 33
        hash &*= 0xFF51_AFD7_ED55_8CCD
        hash ^= hash >> 33
        return hash
    }
}
