import Dispatch
import Foundation
import LumenAPI
import LumenStore
import NIOCore
import Synchronization

/// Asks every agent what `top` shows: status, upstream health and the ledger of the last window.
/// One round is three reads per node, all at once, so a refresh costs the fleet a bounded amount.
struct FleetGatherer: Sendable {
    var token: String?
    /// How long a node has to answer before it shows as unreachable for this round.
    var answerTimeout = LumenDuration.seconds(2)
    var windowSeconds: Double = 60

    /// The nodes an operator has applied with an admin address, read from the store each time so
    /// an apply while `top` runs shows up.
    static func nodes(home: String) throws -> [(name: String, admin: String)]? {
        guard let store = try ControlStore.openExisting(home: home), let snapshot = try store.snapshot() else { return nil }
        return StatePush.addressedNodes(snapshot)
    }

    func gather(_ nodes: [(name: String, admin: String)], now: Date = Date()) -> FleetSample {
        let since = now.addingTimeInterval(-windowSeconds).ISO8601Format()
        let paths = ["/v1/status", "/v1/health", "/v1/usage?since=\(since)"]
        let answers = ConcurrentAnswers(count: paths.count)
        let client = AdminClient(token: token)
        let timeout = TimeAmount.milliseconds(answerTimeout.milliseconds)
        // One worker per path, not concurrentPerform: that runs only as many at once as there are
        // cores, and a round would wait for unreachable nodes twice on a small machine.
        let round = DispatchGroup()
        for (index, path) in paths.enumerated() {
            DispatchQueue.global().async(group: round) {
                let results = (try? client.read(path, of: nodes, timeout: timeout)) ?? []
                answers.set(index, Dictionary(results.map { ($0.node, $0) }, uniquingKeysWith: { first, _ in first }))
            }
        }
        round.wait()
        let (status, health, usage) = (answers.get(0), answers.get(1), answers.get(2))
        let sampled = nodes.map { node in
            Self.node(node.name, status: status[node.name], health: health[node.name], usage: usage[node.name])
        }
        return FleetSample(takenAt: now, windowSeconds: windowSeconds, nodes: sampled.sorted { $0.name < $1.name })
    }

    /// One node from its three answers; the status answer decides whether it is reachable.
    static func node(_ name: String, status: AdminClient.NodeResult?, health: AdminClient.NodeResult?,
                     usage: AdminClient.NodeResult?) -> FleetSample.Node {
        var node = FleetSample.Node(name: name)
        guard let status, status.error == nil else {
            node.unreachableReason = status?.error ?? "no answer"
            return node
        }
        node.revision = status.appliedRevision
        node.version = status.version
        node.warnings = status.answer?["warnings"]?.arrayValue?.compactMap(\.stringValue) ?? []
        node.upstreams = (health?.error == nil ? health?.answer?.arrayValue ?? [] : []).map(FleetSample.Upstream.init(report:))
        if let usage, usage.error == nil, let rows = usage.answer?.arrayValue {
            (node.usage, node.usageByUpstream) = FleetSample.UsageTotals.of(rows)
        } else {
            node.usageError = usage?.error ?? "no ledger in the answer"
        }
        return node
    }
}

/// The answers of reads that run at once, each written by its own worker.
private final class ConcurrentAnswers: Sendable {
    private let answers: Mutex<[[String: AdminClient.NodeResult]]>

    init(count: Int) {
        answers = Mutex(Array(repeating: [:], count: count))
    }

    func set(_ index: Int, _ value: [String: AdminClient.NodeResult]) {
        answers.withLock { $0[index] = value }
    }

    func get(_ index: Int) -> [String: AdminClient.NodeResult] {
        answers.withLock { $0[index] }
    }
}
