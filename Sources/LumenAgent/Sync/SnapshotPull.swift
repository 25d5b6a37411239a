import AsyncHTTPClient
import Foundation
import LumenAPI
import LumenGateway
import LumenManifest
import LumenStore
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Applies snapshots, pushed by lumenctl or pulled from a peer, the same way: persisted first (a
/// restart must come back with what was acknowledged), then installed. Remembers the peers'
/// admin addresses of the snapshot it serves, for `SnapshotPull`.
final class SnapshotInstaller: Sendable {
    let state: GatewayState
    let store: AgentStore
    let local: LocalNode
    let logger: Logger
    /// Other Nodes of the served snapshot that have an admin address: name → admin URL.
    private let peerAdmins = Mutex<[String: String]>([:])

    init(state: GatewayState, store: AgentStore, local: LocalNode, logger: Logger) {
        self.state = state
        self.store = store
        self.local = local
        self.logger = logger
    }

    enum Outcome {
        case applied(revision: Int, warnings: [String])
        /// Not newer than what is served; nothing changed.
        case stale(current: Int)
        case failed(String)
    }

    var peers: [String: String] { peerAdmins.withLock { $0 } }

    /// Serves `snapshot` (decoded from `body`) if it is newer than the one served.
    func apply(_ snapshot: Snapshot, body: Data, from source: String) -> Outcome {
        let current = state.snapshot.revision
        guard snapshot.revision > current else { return .stale(current: current) }
        let compiled = CompiledState(snapshot: snapshot, local: local)
        do {
            _ = try store.saveSnapshot(revision: snapshot.revision, body: body)
        } catch {
            return .failed("cannot persist the snapshot: \(error)")
        }
        guard state.install(compiled) else { return .stale(current: state.snapshot.revision) }
        remember(snapshot, compiled: compiled)
        logger.info("applied snapshot", metadata: ["revision": "\(snapshot.revision)", "from": "\(source)", "warnings": "\(compiled.warnings.count)"])
        return .applied(revision: snapshot.revision, warnings: compiled.warnings)
    }

    /// `apply` on a thread-pool thread, never an event loop: it writes agent.db, which can wait
    /// seconds on another process's lock.
    func applyOffTheEventLoop(_ snapshot: Snapshot, body: Data, from source: String) async -> Outcome {
        do {
            return try await NIOThreadPool.singleton.runIfActive { self.apply(snapshot, body: body, from: source) }
        } catch {
            return .failed("the agent is stopping")
        }
    }

    /// Serves the snapshot persisted in agent.db, at start.
    func loadPersisted() throws {
        guard let persisted = try store.loadSnapshot() else { return }
        do {
            let snapshot = try JSONDecoder().decode(Snapshot.self, from: persisted.body)
            let compiled = CompiledState(snapshot: snapshot, local: local)
            state.install(compiled)
            remember(snapshot, compiled: compiled)
            logger.info("serving the persisted snapshot", metadata: ["revision": "\(snapshot.revision)"])
        } catch {
            logger.error("the persisted snapshot is unreadable; waiting for a push", metadata: ["error": "\(error)"])
        }
    }

    private func remember(_ snapshot: Snapshot, compiled: CompiledState) {
        var admins: [String: String] = [:]
        for manifest in snapshot.manifests {
            guard case .node(let node) = manifest.spec, let admin = node.adminAddress, manifest.name != compiled.node?.name else { continue }
            admins[manifest.name] = admin
        }
        peerAdmins.withLock { $0 = admins }
    }
}

/// An agent that was down when lumenctl pushed (a revoked key, say) catches up by itself: at start
/// and every `interval`, it asks each other Node of its snapshot for its revision over the admin
/// API and fetches and applies a newer snapshot from the peer that has the newest. The control
/// store is a file on the operator's machine, so the peers are where the newest revision is to be
/// found. It asks with its pull token, never the cluster token, and applies only a snapshot signed
/// with the cluster token: an address posing as a peer learns nothing that pushes, and pushes nothing.
struct SnapshotPull: Service {
    let installer: SnapshotInstaller
    let client: HTTPClient
    let key: PeerToken.Key
    let interval: Duration
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await pullOnce()
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// One round: the newest revision among the peers, fetched when it is newer than the one served.
    func pullOnce() async {
        let peers = installer.peers
        guard !peers.isEmpty else { return }
        let revisions = await withTaskGroup(of: (String, Int?).self) { group in
            for (name, admin) in peers {
                group.addTask { (name, await revision(at: admin)) }
            }
            var found: [(String, Int)] = []
            for await (name, revision) in group { if let revision { found.append((name, revision)) } }
            return found
        }
        let current = installer.state.snapshot.revision
        // Newest first; a peer that fails to hand it over gives way to the next.
        for (name, revision) in revisions.sorted(by: { ($0.1, $1.0) > ($1.1, $0.0) }) where revision > current {
            guard let admin = peers[name], let body = await fetch(admin, name: name) else { continue }
            let snapshot: Snapshot
            do {
                snapshot = try JSONDecoder().decode(Snapshot.self, from: body)
            } catch {
                logger.warning("a peer's snapshot is unreadable", metadata: ["node": "\(name)", "error": "\(error)"])
                continue
            }
            switch await installer.applyOffTheEventLoop(snapshot, body: body, from: "node/\(name)") {
            case .applied, .stale: return
            case .failed(let reason):
                logger.error("cannot apply a peer's snapshot", metadata: ["node": "\(name)", "error": "\(reason)"])
                return
            }
        }
    }

    private func revision(at admin: String) async -> Int? {
        guard let (status, _, body) = await get(admin, "/v1/status", limit: 1 << 20), status == 200 else { return nil }
        return (try? JSONValue(json: String(decoding: body, as: UTF8.self)))?["revision"]?.intValue
    }

    private func fetch(_ admin: String, name: String) async -> Data? {
        guard let (status, headers, body) = await get(admin, "/v1/snapshot", limit: AdminAPI.maxSnapshotBytes) else { return nil }
        guard status == 200 else {
            logger.warning("a peer did not hand over its snapshot", metadata: ["node": "\(name)", "status": "\(status)"])
            return nil
        }
        guard let signature = headers.first(name: PeerToken.snapshotSignatureHeader), key.verifySnapshot(body, signature: signature) else {
            logger.warning("refused a peer's snapshot: it is not signed with this cluster's token; check that the node's adminAddress is an agent of this cluster",
                           metadata: ["node": "\(name)", "admin": "\(admin)"])
            return nil
        }
        return body
    }

    /// Who this agent says it is to its peers: its Node's name, else its public address.
    private var identity: String {
        installer.state.snapshot.node?.name ?? installer.local.name ?? installer.local.publicAddress ?? "agent"
    }

    private func get(_ admin: String, _ path: String, limit: Int) async -> (Int, HTTPHeaders, Data)? {
        var request = HTTPClientRequest(url: (admin.hasSuffix("/") ? String(admin.dropLast()) : admin) + path)
        request.method = .GET
        let identity = identity
        request.headers.add(name: "authorization", value: "Bearer " + key.pullToken(for: identity))
        request.headers.add(name: PeerToken.nodeHeader, value: identity)
        do {
            let response = try await client.execute(request, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: limit)
            return (Int(response.status.code), response.headers, Data(body.readableBytesView))
        } catch {
            // A peer that is down too is asked again next round.
            logger.debug("a peer did not answer", metadata: ["admin": "\(admin)", "error": "\(error)"])
            return nil
        }
    }
}
