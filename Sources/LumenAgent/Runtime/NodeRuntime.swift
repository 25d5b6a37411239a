import AsyncHTTPClient
import Foundation
import LumenAPI
import LumenGateway
import LumenManifest
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// How the node runtime starts, scales and stops replicas.
public struct RuntimeOptions: Sendable {
    /// The lumen-engine executable that `engine: sim` and `engine: builtin` run.
    public var engineExecutable: String
    /// The executable that guards each worker (this agent's own binary).
    public var guardExecutable = WorkerProcess.agentExecutable
    /// Where each replica's output is kept: `<dir>/<model>/<index>.log`.
    public var logDirectory: String
    public var tick: Duration = .milliseconds(100)
    /// Replicas are removed only once the need for them stayed lower this long.
    public var stabilisation: Duration = .seconds(30)
    /// A replica that is not ready within this long counts as a failed start.
    public var startTimeout: Duration = .seconds(600)
    /// Longest a scaled-down replica waits for its open requests before it is stopped anyway.
    public var drainTimeout: Duration = .seconds(300)
    /// SIGTERM to SIGKILL, for a replica's process group.
    public var stopGrace: Duration = .seconds(10)

    public init(engineExecutable: String, logDirectory: String) {
        self.engineExecutable = engineExecutable
        self.logDirectory = logDirectory
    }
}

/// The node runtime: for every model whose deployment places replicas on this node, an
/// autoscaler decides how many it needs, the slot scheduler decides how many fit, and the
/// supervisor starts them (waiting for readiness before traffic), restarts crashed ones with
/// exponential backoff, reports crash loops, drains replicas before it stops them, and stops
/// every one when the agent stops. Runs in the agent's service group before the servers, so it
/// stops after they have drained.
final class NodeRuntime: Service, Sendable {
    private let gateway: GatewayState
    private let health: HealthBoard
    private let client: HTTPClient
    private let options: RuntimeOptions
    private let logger: Logger
    private let published = Mutex(RuntimeReport(node: nil, slots: 0, slotsInUse: 0, deployments: [], replicas: []))
    private let counters = Mutex<(decisions: [[String]: Int], restarts: [String: Int])>(([:], [:]))

    init(gateway: GatewayState, health: HealthBoard, client: HTTPClient, options: RuntimeOptions, logger: Logger) {
        self.gateway = gateway
        self.health = health
        self.client = client
        self.options = options
        self.logger = logger
    }

    /// What `/v1/replicas` answers.
    var report: RuntimeReport { published.withLock { $0 } }

    /// The log file of replica `index` of `model`.
    func logPath(model: String, index: Int) -> String {
        (options.logDirectory as NSString).appendingPathComponent("\(model)/\(index).log")
    }

    /// The log of replica `index` of `model` for a reader who names them (the admin API): the model
    /// must be an object name and the file, symlinks followed, inside the log folder. The error says why not.
    func readableLogPath(model: String, index: Int) -> Result<String, LogPathRefusal> {
        guard ManifestName.isValid(model) else {
            return .failure(LogPathRefusal(param: "model", message: "\(Self.printable(model)) is not a model name: a model name is \(ManifestName.rule)"))
        }
        guard index >= 0 else { return .failure(LogPathRefusal(param: "replica", message: "replica takes a replica's number, 0 or more")) }
        let path = logPath(model: model, index: index)
        // A missing file is the caller's 404; one that exists must resolve inside the folder.
        guard let resolved = Self.realPath(path) else { return .success(path) }
        guard let folder = Self.realPath(options.logDirectory), resolved.hasPrefix(folder + "/") else {
            return .failure(LogPathRefusal(param: "model", message: "the log of \(model)-\(index) leads out of this agent's replicas folder; it is not served"))
        }
        return .success(resolved)
    }

    /// A name as it may be shown in an error: control characters escaped, at most 64 characters.
    private static func printable(_ text: String) -> String {
        let escaped = text.unicodeScalars.map { $0.properties.generalCategory == .control ? $0.escaped(asASCII: true) : String($0) }.joined()
        return "\"" + (escaped.count > 64 ? String(escaped.prefix(64)) + "…" : escaped) + "\""
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// What each deployment is doing now, held by the run loop alone.
    struct Scaled: Sendable {
        var autoscaler: Autoscaler
        var recommendation = Autoscaler.Recommendation(need: 0, target: 0, reason: "starting")
        var allowed = 0
        var load = 0.0
        var waiting = 0
        /// How long its last start took, for the wait a request would have on a cold start.
        var startup: Duration?
        var decisions: [ScalingDecision] = []
        var decided: (target: Int, allowed: Int)?
        /// What keeps a wanted replica from starting now (slots still held), if anything.
        var waitingFor: String?
    }

    private struct Fleet: Sendable {
        var replicas: [Replica] = []
        var deployments: [String: Scaled] = [:]
        /// Processes asked to stop that are still exiting.
        /// Processes asked to stop that are still exiting, with the slots they may still hold.
        var retired: [(process: WorkerProcess, slots: [Int])] = []
        /// Pools published so far, so a model no longer run here is published as empty.
        var pools: [String: ReplicaPool] = [:]
        var ticks = 0
    }

    func run() async throws {
        let last = await cancelWhenGracefulShutdown { () -> Fleet in
            var fleet = Fleet()
            while !Task.isCancelled {
                await self.tick(&fleet)
                try? await Task.sleep(for: self.options.tick)
            }
            return fleet
        }
        // In a task of its own: the shutdown's cancellation must not cut the wait for the replicas short.
        await Task { await self.stopAll(last) }.value
    }

    // MARK: The loop

    private func tick(_ fleet: inout Fleet) async {
        let current = gateway.snapshot
        let now = ContinuousClock.now
        let hosted = current.models.values.filter { $0.pool != nil && $0.spec.deployment?.engine != nil }
            .sorted { ($1.spec.deployment?.priority ?? 0, $0.name) < ($0.spec.deployment?.priority ?? 0, $1.name) }

        reapExits(&fleet, now: now)
        fleet.ticks += 1
        if fleet.ticks % 50 == 0 {
            for replica in fleet.replicas where replica.process != nil { WorkerLog.trim(logPath(model: replica.model, index: replica.index)) }
        }
        await probeStarting(&fleet, now: now)
        drain(&fleet, now: now)
        restartBackedOff(&fleet, hosted: hosted, now: now)

        // Replicas of models this node no longer runs go; those started from an older manifest
        // are replaced in reconcile, new ones first.
        for index in fleet.replicas.indices where fleet.replicas[index].isActive {
            if !hosted.contains(where: { $0.name == fleet.replicas[index].model }) {
                retire(&fleet, at: index, because: "this node no longer runs \(fleet.replicas[index].model)")
            }
        }

        var wants: [SlotScheduler.Want] = []
        for model in hosted {
            guard let deployment = model.spec.deployment, let pool = model.pool else { continue }
            let settings = Self.settings(deployment, stabilisation: options.stabilisation)
            var scaled = fleet.deployments[model.name] ?? Scaled(autoscaler: Autoscaler(settings))
            scaled.autoscaler.settings = settings
            let ready = fleet.replicas.filter { $0.model == model.name && $0.state == .ready }
            let inFlight = health.inFlight(ready.map(\.upstreamID)).reduce(0, +)
            let demand = pool.demand
            scaled.recommendation = scaled.autoscaler.recommend(Autoscaler.Load(
                now: now, inFlight: inFlight, waiting: demand.waiting, elsewhere: demand.spilledInFlight,
                lastWanted: demand.lastWanted, lastUnmet: demand.lastUnmet))
            scaled.load = Double(inFlight + demand.waiting + demand.spilledInFlight)
            scaled.waiting = demand.waiting
            fleet.deployments[model.name] = scaled
            wants.append(SlotScheduler.Want(model: model.name, priority: deployment.priority ?? 0, slotsPerReplica: deployment.slots ?? 1,
                                            min: settings.min, need: scaled.recommendation.need, target: scaled.recommendation.target))
        }
        let slots = current.node?.spec.slots ?? 0
        let allowed = SlotScheduler.allow(wants, slots: slots)
        for model in hosted {
            guard let deployment = model.spec.deployment, var scaled = fleet.deployments[model.name] else { continue }
            scaled.allowed = allowed[model.name] ?? 0
            let active = fleet.replicas.filter { $0.model == model.name && $0.isActive }.count
            if scaled.decided.map({ $0 != (scaled.recommendation.target, scaled.allowed) }) ?? true {
                var reason = scaled.recommendation.reason
                if scaled.allowed < scaled.recommendation.target {
                    reason += "; the node's \(slots) slot(s) allow \(scaled.allowed) (higher priority or earlier deployments hold the rest)"
                }
                let decision = ScalingDecision(at: Date().ISO8601Format(), model: model.name, from: active, to: scaled.allowed, reason: reason)
                scaled.decisions.append(decision)
                if scaled.decisions.count > 20 { scaled.decisions.removeFirst() }
                scaled.decided = (scaled.recommendation.target, scaled.allowed)
                if decision.from != decision.to {
                    logger.info("scaling", metadata: ["model": "\(model.name)", "from": "\(decision.from)", "to": "\(decision.to)", "reason": "\(reason)"])
                    counters.withLock { $0.decisions[[model.name, decision.to > decision.from ? "up" : "down"], default: 0] += 1 }
                }
            }
            fleet.deployments[model.name] = scaled
            let waitingFor = reconcile(&fleet, model: model, deployment: deployment, allowed: scaled.allowed, slots: slots, now: now)
            fleet.deployments[model.name]?.waitingFor = waitingFor
        }
        fleet.deployments = fleet.deployments.filter { name, _ in hosted.contains { $0.name == name } }
        publish(&fleet, hosted: hosted, current: current, slots: slots, now: now)
    }

    /// Whether a replica started from `running` still serves `wanted`: only what the process runs
    /// counts, not how many replicas there are or where they may go.
    static func sameProcess(_ wanted: Deployment?, _ running: Deployment) -> Bool {
        guard var wanted else { return false }
        var running = running
        wanted.replicas = nil
        running.replicas = nil
        wanted.scaleToZeroAfter = nil
        running.scaleToZeroAfter = nil
        wanted.targetInFlight = nil
        running.targetInFlight = nil
        wanted.priority = nil
        running.priority = nil
        wanted.nodes = nil
        running.nodes = nil
        return wanted == running
    }

    static func settings(_ deployment: Deployment, stabilisation: Duration) -> Autoscaler.Settings {
        let replicas = deployment.replicas
        return Autoscaler.Settings(min: replicas?.min ?? 1, max: replicas?.max ?? 1, warm: replicas?.warm ?? 0, targetInFlight: deployment.targetInFlight ?? 8,
                                   scaleToZeroAfter: deployment.scaleToZeroAfter?.duration ?? .seconds(900), stabilisation: stabilisation)
    }

    /// Starts or removes replicas of `model` until `allowed` run the current deployment. Replicas
    /// of an older deployment are replaced new-first: each goes once a new one is ready, or, when
    /// the slots are full, one at a time to make room. Returns what keeps a replica from starting.
    private func reconcile(_ fleet: inout Fleet, model: ServedModel, deployment: Deployment, allowed: Int, slots: Int,
                           now: ContinuousClock.Instant) -> String? {
        let mine = fleet.replicas.indices.filter { fleet.replicas[$0].model == model.name && fleet.replicas[$0].isActive }
        let outdated = mine.filter { !Self.sameProcess(deployment, fleet.replicas[$0].deployment) }
        let active = mine.filter { !outdated.contains($0) }
        let readyNew = active.filter { fleet.replicas[$0].state == .ready }.count
        // Old replicas that serve nothing go at once; ready ones as new ones take their place.
        let oldServing = outdated.filter { fleet.replicas[$0].state == .ready }
        for index in outdated where fleet.replicas[index].state != .ready {
            retire(&fleet, at: index, because: "its deployment changed")
        }
        for index in oldServing.prefix(max(0, readyNew + oldServing.count - allowed)) {
            retire(&fleet, at: index, because: "its deployment changed; a replica of the new one is ready")
        }
        if active.count > allowed {
            // Replicas that serve nobody go first, then the least busy.
            let loads = Dictionary(uniqueKeysWithValues: active.map { ($0, health.inFlight([fleet.replicas[$0].upstreamID]).first ?? 0) })
            let victims = active.sorted { a, b in
                let rankA = fleet.replicas[a].state == .ready ? 1 : 0, rankB = fleet.replicas[b].state == .ready ? 1 : 0
                return (rankA, loads[a] ?? 0, -fleet.replicas[a].index) < (rankB, loads[b] ?? 0, -fleet.replicas[b].index)
            }.prefix(active.count - allowed)
            for index in victims { retire(&fleet, at: index, because: "scaled down to \(allowed)") }
        }
        guard active.count < allowed else { return nil }
        // A replica still draining from a scale-down is already loaded: take it back first.
        var count = active.count
        for index in fleet.replicas.indices where count < allowed {
            let replica = fleet.replicas[index]
            guard replica.model == model.name, replica.state == .draining, Self.sameProcess(deployment, replica.deployment) else { continue }
            fleet.replicas[index].move(to: .ready, "taken back from draining: load returned")
            health.mark(replica.upstreamID, model: model.name, .healthy, reason: "taken back from draining: load returned")
            count += 1
        }
        guard count < allowed else { return nil }
        for _ in count..<allowed {
            let occupied = Set(fleet.replicas.flatMap(\.slots) + fleet.retired.flatMap(\.slots))
            guard let placed = SlotScheduler.place(deployment.slots ?? 1, occupied: occupied, slots: slots) else {
                let stillServing = oldServing.filter { fleet.replicas[$0].state == .ready }
                let makingRoom = fleet.replicas.contains { $0.model == model.name && ($0.state == .draining || $0.state == .stopping) }
                if let oldest = stillServing.first, !makingRoom {
                    retire(&fleet, at: oldest, because: "its deployment changed; making room for a replica of the new one")
                }
                let holders = fleet.replicas.filter { !Set($0.slots).isDisjoint(with: occupied) }.map { "\($0.name) (\($0.state.rawValue))" }
                return "waiting for free slots, held by " + (holders.isEmpty ? "exiting processes" : holders.joined(separator: ", "))
            }
            let used = Set(fleet.replicas.filter { $0.model == model.name }.map(\.index))
            let index = (0...).first { !used.contains($0) } ?? 0
            var replica = Replica(model: model.name, index: index, slots: placed, deployment: deployment)
            start(&replica, now: now)
            fleet.replicas.append(replica)
        }
        return nil
    }

    // MARK: Replica life

    private func start(_ replica: inout Replica, now: ContinuousClock.Instant) {
        replica.startedAt = now
        replica.readyAt = nil
        replica.nextStartAt = nil
        do {
            replica.port = try FreePort.find()
            let command = Self.command(replica.deployment, model: replica.model, port: replica.port, slots: replica.slots,
                                       engine: options.engineExecutable)
            let log = logPath(model: replica.model, index: replica.index)
            let passing = replica.deployment.passEnv ?? []
            let unset = passing.filter { ProcessInfo.processInfo.environment[$0] == nil }
            try WorkerLog.begin(log, line: "lumen-agent: starting \(replica.name) on port \(replica.port), slot(s) "
                                + "\(replica.slots.map(String.init).joined(separator: ",")): \(command)"
                                + (unset.isEmpty ? "" : " (passEnv names \(unset.joined(separator: ", ")), not set on this agent)"))
            // The deployment's env, then the runtime's own variables: the replica's environment is only
            // these, the base (PATH, HOME…) and what passEnv names.
            var environment = replica.deployment.env?.values ?? [:]
            environment.merge(["LUMEN_MODEL": replica.model, "LUMEN_REPLICA": String(replica.index),
                               "LUMEN_SLOTS": replica.slots.map(String.init).joined(separator: ","), "LUMEN_PORT": String(replica.port)]) { _, own in own }
            replica.process = try WorkerProcess.start(WorkerProcess.Spec(
                command: command, environment: environment, passing: passing,
                logPath: log, grace: options.stopGrace, guardExecutable: options.guardExecutable))
            replica.move(to: .starting, "started; waiting for its readiness endpoint")
            health.mark(replica.upstreamID, model: replica.model, .starting, reason: "started; waiting for its readiness endpoint")
            logger.info("replica starting", metadata: ["replica": "\(replica.name)", "port": "\(replica.port)", "command": "\(command)"])
        } catch {
            failed(&replica, "could not start: \(error)", now: now)
        }
    }

    /// The replica exited or failed to start when it should not have: it is tried again after a
    /// backoff that doubles with each failure in a row; from the third it counts as a crash loop.
    private func failed(_ replica: inout Replica, _ why: String, now: ContinuousClock.Instant) {
        let ranWell = replica.readyAt.map { now - $0 > .seconds(60) } ?? false
        replica.failures = ranWell ? 1 : replica.failures + 1
        replica.process = nil
        replica.readyAt = nil
        let lastLine = WorkerLog.lastLine(logPath(model: replica.model, index: replica.index))
        replica.lastExit = why + (lastLine.map { " (last output: \($0))" } ?? "")
        let backoff = Duration.seconds(min(300, pow(2, Double(replica.failures - 1))))
        replica.nextStartAt = now + backoff
        counters.withLock { $0.restarts[replica.model, default: 0] += 1 }
        if replica.failures >= 3 {
            let reason = "crash loop: failed \(replica.failures) times in a row, last \(replica.lastExit ?? why); next try in \(Autoscaler.describe(backoff)). "
                + "See lumenctl logs \(replica.model) --replica \(replica.index)"
            replica.move(to: .crashLoop, reason)
            health.mark(replica.upstreamID, model: replica.model, .ejected, reason: reason)
            logger.error("replica crash-looping", metadata: ["replica": "\(replica.name)", "reason": "\(reason)"])
        } else {
            let reason = "\(replica.lastExit ?? why); restarting in \(Autoscaler.describe(backoff))"
            replica.move(to: .backoff, reason)
            health.mark(replica.upstreamID, model: replica.model, .starting, reason: reason)
            logger.warning("replica failed", metadata: ["replica": "\(replica.name)", "reason": "\(reason)"])
        }
    }

    private func reapExits(_ fleet: inout Fleet, now: ContinuousClock.Instant) {
        fleet.retired.removeAll { $0.process.exitStatus() != nil }
        var gone: [Int] = []
        for index in fleet.replicas.indices {
            if fleet.replicas[index].state == .stopping && fleet.replicas[index].process == nil {
                gone.append(index)
                continue
            }
            guard let process = fleet.replicas[index].process, let status = process.exitStatus() else { continue }
            if fleet.replicas[index].state == .stopping || fleet.replicas[index].state == .draining {
                gone.append(index)
                logger.info("replica stopped", metadata: ["replica": "\(fleet.replicas[index].name)", "status": "\(status)"])
            } else {
                fleet.replicas[index].restarts += 1
                failed(&fleet.replicas[index], "exited (\(status))", now: now)
            }
        }
        for index in gone.reversed() {
            health.forget(fleet.replicas[index].upstreamID)
            fleet.replicas.remove(at: index)
        }
    }

    private func probeStarting(_ fleet: inout Fleet, now: ContinuousClock.Instant) async {
        let starting = fleet.replicas.indices.filter { fleet.replicas[$0].state == .starting && fleet.replicas[$0].process != nil }
        guard !starting.isEmpty else { return }
        let ports = starting.map { fleet.replicas[$0].port }
        let ready = await withTaskGroup(of: (Int, Bool).self) { group in
            for (position, port) in ports.enumerated() {
                group.addTask { (position, await self.isReady(port: port)) }
            }
            var answers = Array(repeating: false, count: ports.count)
            for await (position, ok) in group { answers[position] = ok }
            return answers
        }
        for (position, index) in starting.enumerated() {
            let name = fleet.replicas[index].model
            if ready[position] {
                let took = now - fleet.replicas[index].startedAt
                fleet.replicas[index].readyAt = now
                fleet.replicas[index].move(to: .ready, "ready after \(Autoscaler.describe(took))")
                fleet.deployments[name]?.startup = took
                health.mark(fleet.replicas[index].upstreamID, model: name, .healthy, reason: "ready after \(Autoscaler.describe(took))")
                logger.info("replica ready", metadata: ["replica": "\(fleet.replicas[index].name)", "seconds": "\(took.seconds)"])
            } else if now - fleet.replicas[index].startedAt > options.startTimeout, let process = fleet.replicas[index].process {
                process.terminate()
                fleet.retired.append((process, fleet.replicas[index].slots))
                fleet.replicas[index].restarts += 1
                failed(&fleet.replicas[index], "not ready within \(Autoscaler.describe(options.startTimeout))", now: now)
            }
        }
    }

    /// Whether the engine on `port` says it is ready: `/health` (vLLM, llama-server, lumen-engine), else `/v1/models`.
    private func isReady(port: Int) async -> Bool {
        for path in ["/health", "/v1/models"] {
            do {
                let response = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)"), timeout: .milliseconds(500))
                _ = try? await response.body.collect(upTo: 1 << 16)
                if response.status == .notFound { continue }
                return response.status == .ok
            } catch {
                return false
            }
        }
        return false
    }

    private func restartBackedOff(_ fleet: inout Fleet, hosted: [ServedModel], now: ContinuousClock.Instant) {
        for index in fleet.replicas.indices {
            let replica = fleet.replicas[index]
            guard replica.state == .backoff || replica.state == .crashLoop, let due = replica.nextStartAt, due <= now,
                  hosted.contains(where: { $0.name == replica.model && Self.sameProcess($0.spec.deployment, replica.deployment) }),
                  // The last process may still hold the slots (GPU memory) while it exits.
                  !fleet.retired.contains(where: { !Set($0.slots).isDisjoint(with: replica.slots) }) else { continue }
            start(&fleet.replicas[index], now: now)
        }
    }

    /// Takes a replica out of service: a ready one drains first, others stop at once.
    private func retire(_ fleet: inout Fleet, at index: Int, because reason: String) {
        if fleet.replicas[index].state == .ready {
            fleet.replicas[index].move(to: .draining, "\(reason); draining its open requests")
            health.mark(fleet.replicas[index].upstreamID, model: fleet.replicas[index].model, .draining, reason: "\(reason); draining")
        } else {
            stop(&fleet, at: index, because: reason)
        }
    }

    /// Asks the replica's process group to stop; the next reap removes it (at once when it has no process).
    private func stop(_ fleet: inout Fleet, at index: Int, because reason: String) {
        fleet.replicas[index].move(to: .stopping, reason)
        fleet.replicas[index].process?.terminate()
    }

    /// Draining replicas stop once their last open request ends (requests already sent to them
    /// get a moment to show up as in flight), or when the drain timeout runs out.
    private func drain(_ fleet: inout Fleet, now: ContinuousClock.Instant) {
        for index in fleet.replicas.indices.reversed() where fleet.replicas[index].state == .draining {
            let replica = fleet.replicas[index]
            let open = health.inFlight([replica.upstreamID]).first ?? 0
            let waited = now - replica.changedAt
            if open <= 0 && waited >= .seconds(1) {
                stop(&fleet, at: index, because: "drained")
            } else if waited >= options.drainTimeout {
                stop(&fleet, at: index, because: "drain timeout (\(Autoscaler.describe(options.drainTimeout))) with \(open) request(s) open")
            }
        }
    }

    private func stopAll(_ fleet: Fleet) async {
        var fleet = fleet
        for index in fleet.replicas.indices.reversed() { stop(&fleet, at: index, because: "the agent is stopping") }
        let deadline = ContinuousClock.now + options.stopGrace + .seconds(5)
        while ContinuousClock.now < deadline {
            let running = fleet.replicas.contains { $0.process?.exitStatus() == nil } || fleet.retired.contains { $0.process.exitStatus() == nil }
            if !running { break }
            try? await Task.sleep(for: .milliseconds(50))
        }
        // Past the grace, whatever still runs is killed outright: the agent leaves nothing behind.
        for replica in fleet.replicas where replica.process?.exitStatus() == nil { replica.process?.kill() }
        for retired in fleet.retired where retired.process.exitStatus() == nil { retired.process.kill() }
        logger.info("replicas stopped", metadata: ["count": "\(fleet.replicas.count)"])
    }

    // MARK: What others read

    private func publish(_ fleet: inout Fleet, hosted: [ServedModel], current: CompiledState, slots: Int, now: ContinuousClock.Instant) {
        for model in hosted {
            guard let pool = model.pool, let deployment = model.spec.deployment else { continue }
            let mine = fleet.replicas.filter { $0.model == model.name }
            let upstreamModel = deployment.engine == .process ? (deployment.model ?? model.name) : model.name
            let startup = fleet.deployments[model.name]?.startup
            let expected = mine.filter { $0.state == .starting }.compactMap { replica in startup.map { replica.startedAt + $0 } }.min()
            let target = deployment.targetInFlight ?? 8
            pool.update(ready: mine.filter { $0.state == .ready }.map { $0.upstream(modelName: upstreamModel) },
                        expectedReady: expected,
                        capacityPerReplica: 2 * target, queueLimit: 4 * target * max(1, deployment.replicas?.max ?? 1),
                        blocked: Self.blocked(mine, scaled: fleet.deployments[model.name], slots: slots))
            fleet.pools[model.name] = pool
        }
        for (name, pool) in fleet.pools where !hosted.contains(where: { $0.name == name }) {
            pool.update(ready: [], expectedReady: nil, capacityPerReplica: 1, queueLimit: 0,
                        blocked: "this node no longer runs \(name)")
            fleet.pools[name] = nil
        }
        let replicas = fleet.replicas.map { replica in
            ReplicaReport(name: replica.name, model: replica.model, index: replica.index, node: current.node?.name ?? "-",
                          state: replica.state.rawValue, reason: replica.reason, slots: replica.slots, port: replica.port,
                          pid: replica.process?.pid, inFlight: health.inFlight([replica.upstreamID]).first ?? 0, restarts: replica.restarts,
                          secondsInState: (now - replica.changedAt).seconds, lastExit: replica.lastExit)
        }.sorted { ($0.model, $0.index) < ($1.model, $1.index) }
        let deployments = hosted.compactMap { model -> DeploymentReport? in
            guard let deployment = model.spec.deployment, let scaled = fleet.deployments[model.name] else { return nil }
            let settings = scaled.autoscaler.settings
            return DeploymentReport(model: model.name, engine: deployment.engine?.rawValue ?? "", min: settings.min, max: settings.max,
                                    warm: settings.warm, target: scaled.recommendation.target, allowed: scaled.allowed, load: scaled.load,
                                    waiting: scaled.waiting, waitingFor: scaled.waitingFor, lastDecision: scaled.decisions.last { $0.from != $0.to } ?? scaled.decisions.last,
                                    decisions: scaled.decisions)
        }.sorted { $0.model < $1.model }
        let report = RuntimeReport(node: current.node?.name, slots: slots, slotsInUse: Set(fleet.replicas.flatMap(\.slots)).count,
                                   deployments: deployments, replicas: replicas)
        published.withLock { $0 = report }
    }

    /// Why no replica of a model will be ready soon, when none runs or starts: every one is
    /// crash-looping, or the slots went to other deployments.
    static func blocked(_ replicas: [Replica], scaled: Scaled?, slots: Int) -> String? {
        guard !replicas.contains(where: { $0.state == .ready || $0.state == .starting || $0.state == .backoff }) else { return nil }
        if let looping = replicas.first(where: { $0.state == .crashLoop }) { return "replica \(looping.name) is in a \(looping.reason)" }
        if let scaled, scaled.recommendation.target > 0, scaled.allowed == 0 {
            return "this node's \(slots) slot(s) are held by other deployments (higher priority, or their min); raise this deployment's priority or add a node"
        }
        return nil
    }

    /// The runtime's part of `/metrics`.
    func metricsText() -> String {
        let report = report
        let counts = counters.withLock { $0 }
        var text = "# HELP lumen_replicas Replicas this agent runs, by model and state.\n# TYPE lumen_replicas gauge\n"
        var byState: [[String]: Int] = [:]
        for replica in report.replicas { byState[[replica.model, replica.state], default: 0] += 1 }
        for deployment in report.deployments where !byState.keys.contains(where: { $0[0] == deployment.model }) {
            byState[[deployment.model, Replica.State.ready.rawValue]] = 0
        }
        for (labels, value) in byState.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            text += "lumen_replicas{model=\"\(labels[0])\",state=\"\(labels[1])\"} \(value)\n"
        }
        text += "# HELP lumen_scaling_decisions_total Changes in a model's replica count, by direction.\n# TYPE lumen_scaling_decisions_total counter\n"
        for (labels, value) in counts.decisions.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            text += "lumen_scaling_decisions_total{direction=\"\(labels[1])\",model=\"\(labels[0])\"} \(value)\n"
        }
        text += "# HELP lumen_replica_failures_total Replica exits and failed starts the supervisor restarted.\n# TYPE lumen_replica_failures_total counter\n"
        for (model, value) in counts.restarts.sorted(by: { $0.key < $1.key }) {
            text += "lumen_replica_failures_total{model=\"\(model)\"} \(value)\n"
        }
        return text
    }

    // MARK: Commands

    /// The shell command line that starts one replica.
    static func command(_ deployment: Deployment, model: String, port: Int, slots: [Int], engine: String) -> String {
        let args = deployment.args ?? []
        let slotList = slots.map(String.init).joined(separator: ",")
        switch deployment.engine {
        // `exec`: the engine replaces the shell, so signals and the exit status are its own.
        case .sim:
            return "exec " + ([engine, "serve", "--simulate", "--host", "127.0.0.1", "--port", String(port), "--model-name", model] + args)
                .map(ShellQuote.quote).joined(separator: " ")
        case .builtin:
            var features: [String] = deployment.prefixCaching == false ? ["--no-prefix-cache"] : []
            if let speculative = deployment.speculative {
                switch speculative.method {
                case .ngram: features += ["--prompt-lookup"]
                case .draft: features += ["--draft-model", speculative.draftModel ?? ""]
                }
                features += ["--speculative-tokens", String(speculative.tokens)]
            }
            return "exec " + ([engine, "serve", "--model", deployment.model ?? "", "--host", "127.0.0.1", "--port", String(port), "--model-name", model]
                              + features + args).map(ShellQuote.quote).joined(separator: " ")
        case .process, nil:
            return substitute(deployment.command ?? "", [
                "port": ShellQuote.quote(String(port)),
                "model": ShellQuote.quote(deployment.model ?? model),
                "slot": ShellQuote.quote(slotList),
                "args": args.map(ShellQuote.quote).joined(separator: " "),
            ])
        }
    }

    /// Replaces each `{name}` of `template` that `values` has, in one left-to-right pass: what was
    /// substituted is never scanned again, so a model file named `x{args}` stays that text.
    /// Unknown braces are kept as they are (the manifest's validation refuses them).
    static func substitute(_ template: String, _ values: [String: String]) -> String {
        var result = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            result += rest[..<open]
            let afterOpen = rest.index(after: open)
            if let close = rest[afterOpen...].firstIndex(where: { $0 == "}" || $0 == "{" }), rest[close] == "}",
               let value = values[String(rest[afterOpen..<close])] {
                result += value
                rest = rest[rest.index(after: close)...]
            } else {
                result += "{"
                rest = rest[afterOpen...]
            }
        }
        return result + rest
    }
}

/// Quoting for `/bin/sh`: plain words stay as they are, anything else goes in single quotes.
enum ShellQuote {
    static func quote(_ word: String) -> String {
        let plain = !word.isEmpty && word.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "-_./:=,@%+".unicodeScalars.contains($0) }
        return plain ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// Why the admin API will not read a replica log it was asked for: a 400 naming the parameter.
struct LogPathRefusal: Error, CustomStringConvertible {
    let param: String
    let message: String

    var description: String { message }
}
