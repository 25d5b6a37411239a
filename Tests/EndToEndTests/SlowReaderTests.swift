import AsyncHTTPClient
import Foundation
import LumenAPI
import LumenTestSupport
import NIOCore
import NIOHTTP1
import Testing
import Glibc

/// A streaming client on a raw socket that reads only when told to, a few bytes at a time.
final class TrickleReader {
    let socket: Int32
    private(set) var received = 0
    /// Complete SSE events read so far (each ends with a blank line).
    private(set) var events = 0
    private(set) var head = ""
    private var lastByte: UInt8 = 0

    init(port: Int, request: String, receiveBuffer: Int32) throws {
        socket = try connectLoopback(port: port, receiveBuffer: receiveBuffer)
        var bytes = Array(request.utf8)
        guard Glibc.send(socket, &bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else { throw POSIXError(.EPIPE) }
    }

    /// Reads at most `limit` bytes that are already there; never waits.
    func trickle(_ limit: Int) {
        var buffer = [UInt8](repeating: 0, count: limit)
        let count = recv(socket, &buffer, limit, Int32(MSG_DONTWAIT))
        guard count > 0 else { return }
        for byte in buffer[..<count] {
            if head.count < 16 { head.append(Character(UnicodeScalar(byte))) }
            if byte == UInt8(ascii: "\n") && lastByte == UInt8(ascii: "\n") { events += 1 }
            lastByte = byte
        }
        received += count
    }

    func close() {
        Glibc.close(socket)
    }
}

/// A TCP connection to 127.0.0.1:`port`, with the receive buffer set before connecting when given.
func connectLoopback(port: Int, receiveBuffer: Int32? = nil) throws -> Int32 {
    let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    if var size = receiveBuffer {
        setsockopt(socket, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let result = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard result == 0 else {
        Glibc.close(socket)
        throw POSIXError(.ECONNREFUSED)
    }
    return socket
}

/// A process's resident memory in KiB, from /proc.
func residentKiB(_ pid: Int32) throws -> Int {
    let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
    return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
}

/// A family's value from a Prometheus text page, summed over its series.
func metric(_ name: String, at url: String) async throws -> Int {
    var request = HTTPClientRequest(url: url)
    request.method = .GET
    // An agent's page needs the cluster token (the e2e clusters' one); a simulator ignores it.
    request.headers.add(name: "authorization", value: "Bearer e2e-cluster-token-0123456789abcdef")
    let page = try await send(request).body
    // Every series of the family, whatever its labels.
    let lines = page.split(separator: "\n").filter { $0.hasPrefix(name + " ") || $0.hasPrefix(name + "{") }
    guard !lines.isEmpty else { return -1 }
    return lines.reduce(0) { $0 + (Int(Double($1.split(separator: " ").last ?? "") ?? 0)) }
}

@Suite(.serialized) struct SlowReaderTests {
    /// 500 streams whose clients read a few bytes at a time: the agent holds a bounded amount per
    /// stream and the simulator's writes wait, instead of the agent reading everything into memory.
    @Test func fiveHundredTrickleReadersKeepTheAgentBoundedAndPauseTheirUpstreams() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = LiveCluster(dir: dir)
            defer { cluster.stop() }
            let simulator = try cluster.startSimulator(["--ttft", "0ms", "--itl", "0ms", "--max-concurrency", "1000"])
            try cluster.startAgent()
            #expect(try cluster.apply(cluster.manifests(endpoint: simulator)).exitCode == 0)
            let key = try cluster.createKey("trickle")
            let agentPID = try #require(cluster.agent?.process.processIdentifier)
            let metrics = simulator.replacingOccurrences(of: "/v1", with: "/metrics")
            let idleKiB = try residentKiB(agentPID)

            // Long answers with 20 alternatives per token (about 1.5 KB an event), so buffers fill quickly.
            let streams = 500, answerTokens = 4000
            let body = #"{"model":"lumen/auto","stream":true,"max_tokens":\#(answerTokens),"ignore_eos":true,"logprobs":true,"top_logprobs":20,"messages":[{"role":"user","content":"a long answer please"}]}"#
            let request = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(key)\r\n"
                + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
            var readers: [TrickleReader] = []
            defer { for reader in readers { reader.close() } }

            // Trickle: 64 bytes per stream every 100 ms, so every stream stays open and slow.
            func trickle(rounds: Int) async throws {
                for _ in 0..<rounds {
                    for reader in readers { reader.trickle(64) }
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            // Open the streams 100 at a time, each batch once the last has its answers started.
            for _ in 0..<(streams / 100) {
                readers += try (0..<100).map { _ in try TrickleReader(port: cluster.publicPort, request: request, receiveBuffer: 4096) }
                for _ in 0..<300 where readers.contains(where: { $0.head.count < 12 }) {
                    try await trickle(rounds: 1)
                }
            }
            // Wait (up to two minutes) until every upstream stream is open and held back by its client.
            var waiting = 0, open = 0
            for _ in 0..<120 where waiting < streams || open < streams {
                try await trickle(rounds: 10)
                waiting = try await metric("lumen_simulator_streams_waiting_on_client", at: metrics)
                open = try await metric("lumen_simulator_streams_open", at: metrics)
            }
            let sentBefore = try await metric("lumen_simulator_tokens_sent_total", at: metrics)
            let readBefore = readers.reduce(0) { $0 + $1.events }
            let pausedKiB = try residentKiB(agentPID)
            try await trickle(rounds: 20)
            let sentAfter = try await metric("lumen_simulator_tokens_sent_total", at: metrics)
            let readAfter = readers.reduce(0) { $0 + $1.events }
            let busyKiB = try residentKiB(agentPID)

            let perStream = Double(busyKiB - idleKiB) / Double(streams)
            print("""
                slow readers: \(streams) streams; agent RSS \(idleKiB / 1024) MiB idle, \(busyKiB / 1024) MiB with them open \
                (\(String(format: "%.1f", perStream)) KiB per stream, \((busyKiB - pausedKiB) / 1024) MiB of it in the last two seconds); \(waiting) of \(open) upstream streams waiting on a write; \
                in two seconds the upstreams sent \(sentAfter - sentBefore) tokens while the clients read \(readAfter - readBefore) events
                """)
            #expect(readers.allSatisfy { $0.head.hasPrefix("HTTP/1.1 200") })
            // Paused, not finished: every upstream stream is open and waiting for its write to be taken...
            #expect(open == streams && waiting == streams)
            #expect(sentAfter < streams * answerTokens / 2)
            // ...and the upstreams send only about what the clients read (plus a few events per
            // stream as buffers drain below their low-water marks), not what they could produce.
            #expect(sentAfter - sentBefore <= (readAfter - readBefore) + streams * 20)
            // The agent's memory stays bounded whatever the answers' length: it does not grow while the
            // streams go on, and stays far below the 6 MB per stream that buffering whole answers takes.
            #expect(busyKiB - pausedKiB < 16 * 1024)
            #expect(busyKiB - idleKiB < streams * 512)
        }
    }
}
