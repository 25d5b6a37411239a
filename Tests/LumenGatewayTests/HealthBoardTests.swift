@testable import LumenGateway
import LumenManifest
import Synchronization
import Testing

/// A clock the test moves by hand.
final class TestClock: Sendable {
    private let instant = Mutex(ContinuousClock.now)
    var now: ContinuousClock.Instant { instant.withLock { $0 } }
    func advance(_ duration: Duration) { instant.withLock { $0 += duration } }
}

@Suite struct HealthBoardTests {
    let clock = TestClock()

    func board(_ configure: (inout HealthBoard.Policy) -> Void = { _ in }) -> HealthBoard {
        var policy = HealthBoard.Policy()
        configure(&policy)
        let clock = clock
        return HealthBoard(policy: policy, clock: { clock.now }, jitter: { 1 })
    }

    func upstreams(_ count: Int) -> [Upstream] {
        (0..<count).map {
            Upstream(id: "endpoint/r\($0)", baseURL: "http://127.0.0.1:\(9000 + $0)/v1", upstreamModel: "m", authorization: nil,
                     headers: [:], continuation: .native, firstTokenTimeout: .seconds(5), idleTimeout: .seconds(5))
        }
    }

    func state(_ board: HealthBoard, _ id: String) -> HealthBoard.State? {
        board.reports().first { $0.upstream == id }?.state
    }

    @Test func threeFailuresEjectForABackoffThatGrowsAndIsCapped() {
        let board = board { $0.longestEjection = .seconds(12) }
        let all = upstreams(4)
        board.register(all, model: "m")
        let peers = all.map(\.id)
        board.failed(all[0].id, reason: "reset", peers: peers)
        board.failed(all[0].id, reason: "reset", peers: peers)
        #expect(state(board, all[0].id) == .degraded)
        board.failed(all[0].id, reason: "reset", peers: peers)
        #expect(state(board, all[0].id) == .ejected)
        // Serving its time: last in the order, until the ejection runs out.
        #expect(board.order(all, model: "m").map(\.id).last == all[0].id)
        clock.advance(.seconds(4))
        #expect(board.order(all, model: "m").map(\.id).last == all[0].id)
        clock.advance(.seconds(2))
        // A trial now: ahead of nothing healthy, but no longer last.
        #expect(board.order(all, model: "m").map(\.id) == [all[1].id, all[2].id, all[3].id, all[0].id])
        #expect(board.order([all[0]] + Array(all[1...]), model: "m").first?.id == all[1].id)
        // The trial fails: ejected again for twice as long (10 s), then capped at 12 s.
        board.failed(all[0].id, reason: "reset", peers: peers)
        #expect(board.reports().first { $0.upstream == all[0].id }?.reason.contains("ejected for 10 s") == true)
        clock.advance(.seconds(11))
        board.failed(all[0].id, reason: "reset", peers: peers)
        #expect(board.reports().first { $0.upstream == all[0].id }?.reason.contains("ejected for 12 s") == true)
        // Recovery: one success brings it back.
        board.succeeded(all[0].id)
        #expect(state(board, all[0].id) == .healthy)
    }

    @Test func neverEjectsMoreThanTheSetShare() {
        let board = board()
        let all = upstreams(2)
        board.register(all, model: "m")
        let peers = all.map(\.id)
        for _ in 0..<3 { board.failed(all[0].id, reason: "HTTP 500", peers: peers) }
        for _ in 0..<3 { board.failed(all[1].id, reason: "HTTP 500", peers: peers) }
        #expect(state(board, all[0].id) == .ejected)
        #expect(state(board, all[1].id) == .degraded)
        #expect(board.reports().first { $0.upstream == all[1].id }?.reason.contains("not ejected") == true)
    }

    @Test func oneSlowFirstTokenIsNoiseARunOfThemDegrades() {
        let board = board()
        let all = upstreams(2)
        board.register(all, model: "m")
        for _ in 0..<30 { board.succeeded(all[0].id, ttft: .milliseconds(10)) }
        board.succeeded(all[0].id, ttft: .milliseconds(200))
        #expect(state(board, all[0].id) == .healthy)
        #expect(board.order(all, model: "m").first?.id == all[0].id)
        for _ in 0..<5 { board.succeeded(all[0].id, ttft: .milliseconds(200)) }
        #expect(state(board, all[0].id) == .degraded)
        #expect(board.order(all, model: "m").first?.id == all[1].id)
        // Fast again: healthy once the slow ones are a small enough share.
        for _ in 0..<20 { board.succeeded(all[0].id, ttft: .milliseconds(10)) }
        #expect(state(board, all[0].id) == .healthy)
    }

    @Test func errorRateDegradesWithoutEjecting() {
        let board = board()
        let all = upstreams(2)
        board.register(all, model: "m")
        for round in 0..<10 {
            board.succeeded(all[0].id)
            board.succeeded(all[0].id)
            if round.isMultiple(of: 2) { board.failed(all[0].id, reason: "HTTP 502", peers: all.map(\.id)) }
        }
        board.succeeded(all[0].id)
        #expect(state(board, all[0].id) == .degraded)
        #expect(board.reports().first { $0.upstream == all[0].id }?.reason.contains("error rate") == true)
    }

    @Test func aRateLimitedUpstreamGoesBehindTheOthersForItsRetryAfterAndIsNotEjected() {
        let board = board()
        let all = upstreams(3)
        board.register(all, model: "m")
        for _ in 0..<5 { board.pressured(all[0].id, retryAfter: .seconds(2), reason: "HTTP 429: slow down") }
        #expect(board.order(all, model: "m").map(\.id) == [all[1].id, all[2].id, all[0].id])
        #expect(state(board, all[0].id) == .healthy)
        clock.advance(.seconds(3))
        #expect(board.order(all, model: "m").first?.id == all[0].id)
    }
}
