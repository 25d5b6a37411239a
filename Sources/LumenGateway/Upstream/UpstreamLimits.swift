import AsyncHTTPClient
import NIOCore
import Synchronization

/// Requests in flight to each upstream with a `maxConcurrency` (a Provider's), so the agent never
/// sends one more than it allows: a request over the bound moves on to the next candidate.
final class UpstreamSlots: Sendable {
    private let taken = Mutex<[String: Int]>([:])

    /// A place on `upstream`, or nil when it already serves its `maxConcurrency` requests.
    /// Upstreams without a bound always get one (nil slot, nothing counted).
    func take(_ upstream: Upstream) -> Result<Slot?, Full> {
        guard let limit = upstream.maxConcurrency else { return .success(nil) }
        let admitted = taken.withLock { taken in
            guard taken[upstream.id, default: 0] < limit else { return false }
            taken[upstream.id, default: 0] += 1
            return true
        }
        return admitted ? .success(Slot(slots: self, id: upstream.id)) : .failure(Full(limit: limit))
    }

    /// Requests in flight to `id` now.
    func inFlight(_ id: String) -> Int { taken.withLock { $0[id, default: 0] } }

    fileprivate func give(_ id: String) {
        taken.withLock { taken in
            let left = taken[id, default: 1] - 1
            taken[id] = left > 0 ? left : nil
        }
    }

    struct Full: Error {
        var limit: Int
    }

    /// One request's place; given back once, when released or dropped (whatever path the request took).
    final class Slot: Sendable {
        private let slots: UpstreamSlots
        private let id: String
        private let released = Atomic<Bool>(false)

        fileprivate init(slots: UpstreamSlots, id: String) {
            self.slots = slots
            self.id = id
        }

        func release() {
            if !released.exchange(true, ordering: .acquiringAndReleasing) { slots.give(id) }
        }

        deinit { release() }
    }
}

/// An upstream answer's body that holds the request's slot until it is read to its end or
/// dropped, and that fails when the upstream leaves a gap longer than `readGap` between chunks
/// (its `timeouts.idle`), instead of waiting forever on an upstream that stopped sending.
struct UpstreamBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let base: HTTPClientResponse.Body
    let slot: UpstreamSlots.Slot?
    /// The longest wait for any chunk; nil: no bound here (a stream's relay bounds its own reads).
    let readGap: Duration?

    func makeAsyncIterator() -> Iterator {
        Iterator(reader: GapReader(base.makeAsyncIterator()), slot: slot, readGap: readGap)
    }

    struct Iterator: AsyncIteratorProtocol {
        let reader: GapReader
        let slot: UpstreamSlots.Slot?
        let readGap: Duration?

        mutating func next() async throws -> ByteBuffer? {
            let chunk = try await reader.next(within: readGap)
            if chunk == nil { slot?.release() }
            return chunk
        }
    }

    /// The upstream sent nothing for `gap`.
    struct Idle: Error, CustomStringConvertible {
        var gap: Duration
        var description: String { "no data from the upstream for \(Int(gap / .milliseconds(1))) ms (its timeouts.idle)" }
    }

    final class GapReader: @unchecked Sendable {
        // Only one read runs at a time: `next` awaits the reading child before it returns.
        private var iterator: HTTPClientResponse.Body.AsyncIterator

        init(_ iterator: HTTPClientResponse.Body.AsyncIterator) {
            self.iterator = iterator
        }

        func next(within gap: Duration?) async throws -> ByteBuffer? {
            guard let gap else { return try await iterator.next() }
            return try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
                group.addTask { try await self.iterator.next() }
                group.addTask {
                    try await Task.sleep(for: gap)
                    throw Idle(gap: gap)
                }
                defer { group.cancelAll() }
                return try await group.next() ?? nil
            }
        }
    }
}

/// HTTP clients for upstreams with their own connect timeout (a Provider's `timeouts.connect`):
/// AsyncHTTPClient sets it per client, so one client per distinct timeout, made on first use
/// and kept for the process's life (like `HTTPClient.shared`, never shut down).
enum UpstreamClients {
    private static let clients = Mutex<[Duration: HTTPClient]>([:])

    static func client(connectTimeout: Duration) -> HTTPClient {
        clients.withLock { clients in
            if let client = clients[connectTimeout] { return client }
            var configuration = HTTPClient.Configuration()
            // As the agent's own client: a large pool, kept-alive connections, bodies as sent.
            configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 1024)
            configuration.timeout.connect = TimeAmount(connectTimeout)
            configuration.decompression = .disabled
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            clients[connectTimeout] = client
            return client
        }
    }
}
