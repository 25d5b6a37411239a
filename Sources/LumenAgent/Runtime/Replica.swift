import Foundation
import LumenGateway
import LumenManifest

/// One replica of a model that this agent runs: its process, slots and life so far.
struct Replica: Sendable {
    enum State: String, Codable, Sendable {
        /// Started; waiting for its readiness endpoint.
        case starting
        /// Taking traffic.
        case ready
        /// Taking no new traffic; stopped once its open requests end.
        case draining
        /// Asked to stop; its process group is being stopped.
        case stopping
        /// Exited when it should not have; restarted after a backoff.
        case backoff
        /// Exited (or failed to become ready) several times in a row: restarted only after a long backoff.
        case crashLoop = "crash-loop"
    }

    let model: String
    let index: Int
    var slots: [Int]
    /// The deployment it was started from; a changed manifest replaces it.
    var deployment: Deployment
    var port = 0
    var process: WorkerProcess?
    var state = State.starting
    var startedAt = ContinuousClock.now
    var readyAt: ContinuousClock.Instant?
    var changedAt = ContinuousClock.now
    var restarts = 0
    /// Exits (or failed starts) in a row without a long enough run in between.
    var failures = 0
    var nextStartAt: ContinuousClock.Instant?
    var lastExit: String?
    var reason = "starting"

    var name: String { "\(model)-\(index)" }
    var upstreamID: String { Upstream.replicaPrefix + name }

    func upstream(modelName: String) -> Upstream {
        Upstream(id: upstreamID, baseURL: "http://127.0.0.1:\(port)/v1", upstreamModel: modelName, authorization: nil, headers: [:],
                 continuation: deployment.continuation, firstTokenTimeout: .seconds(60), idleTimeout: .seconds(60))
    }

    /// Holds its slots and counts as one of the model's replicas (a crash-looping one too: it is still wanted).
    var isActive: Bool { state != .draining && state != .stopping }

    mutating func move(to state: State, _ reason: String) {
        if state != self.state { changedAt = .now }
        self.state = state
        self.reason = reason
    }
}

/// A replica as `lumenctl get replicas` shows it.
public struct ReplicaReport: Codable, Sendable, Hashable {
    public var name: String
    public var model: String
    public var index: Int
    public var node: String
    public var state: String
    public var reason: String
    public var slots: [Int]
    public var port: Int
    public var pid: Int32?
    public var inFlight: Int
    public var restarts: Int
    public var secondsInState: Double
    public var lastExit: String?
}

/// One autoscaling decision, kept with its reason.
public struct ScalingDecision: Codable, Sendable, Hashable {
    public var at: String
    public var model: String
    public var from: Int
    public var to: Int
    public var reason: String
}

/// A model this node runs, as `lumenctl get replicas` shows it.
public struct DeploymentReport: Codable, Sendable, Hashable {
    public var model: String
    public var engine: String
    public var min: Int
    public var max: Int
    public var warm: Int
    /// Replicas the autoscaler wants, and how many the node's slots allow.
    public var target: Int
    public var allowed: Int
    public var load: Double
    public var waiting: Int
    /// What keeps a wanted replica from starting now, if anything.
    public var waitingFor: String?
    public var lastDecision: ScalingDecision?
    public var decisions: [ScalingDecision]
}

/// What `/v1/replicas` answers.
public struct RuntimeReport: Codable, Sendable, Hashable {
    public var node: String?
    public var slots: Int
    public var slotsInUse: Int
    public var deployments: [DeploymentReport]
    public var replicas: [ReplicaReport]
}
