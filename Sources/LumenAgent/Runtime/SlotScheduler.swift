/// How a node's slots are shared among the deployments it runs. Replicas a deployment's `min`
/// asks for come first, then replicas its load needs, then warm standbys; within each tier,
/// higher `priority` first (then name, so the split is stable). A replica needs its
/// deployment's `slots`, placed first fit. Pure: the node runtime applies the answer.
enum SlotScheduler {
    struct Want: Equatable {
        var model: String
        var priority: Int
        var slotsPerReplica: Int
        var min: Int
        /// Replicas needed for the load (at least `min`).
        var need: Int
        /// Replicas wanted with the warm standbys (at least `need`).
        var target: Int
    }

    /// How many replicas each model may run on `slots` slots.
    static func allow(_ wants: [Want], slots: Int) -> [String: Int] {
        let ordered = wants.sorted { ($1.priority, $0.model) < ($0.priority, $1.model) }
        var free = slots
        var allowed: [String: Int] = [:]
        for tier in [\Want.min, \Want.need, \Want.target] {
            for want in ordered {
                let granted = allowed[want.model] ?? 0
                let more = max(0, want[keyPath: tier] - granted)
                let fits = min(more, free / max(1, want.slotsPerReplica))
                allowed[want.model] = granted + fits
                free -= fits * want.slotsPerReplica
            }
        }
        return allowed
    }

    /// The first `count` free slot numbers below `slots`, or nil when too few are free.
    static func place(_ count: Int, occupied: Set<Int>, slots: Int) -> [Int]? {
        let free = (0..<slots).filter { !occupied.contains($0) }
        return free.count >= count ? Array(free.prefix(count)) : nil
    }
}
