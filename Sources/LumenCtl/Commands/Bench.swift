import ArgumentParser
import AsyncHTTPClient
import Foundation
import LumenAPI
import NIOCore
import NIOHTTP1
import Synchronization

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate load against an OpenAI-compatible endpoint and report latency, throughput and errors.",
        discussion: "Closed loop with --concurrency (each worker sends its next request when the last one ends), or open loop with --rate (requests per second, whatever the latency). Works against a Lumen agent or any OpenAI-compatible server."
    )

    @Option(help: ArgumentHelp("Base URL to load.", valueName: "url"))
    var endpoint = "http://127.0.0.1:8080/v1"
    @Option(help: ArgumentHelp("API key (default: $LUMEN_API_KEY).", valueName: "key"))
    var key: String?
    @Option(name: .shortAndLong, help: "Route or model to ask for.")
    var model = "lumen/auto"
    @Option(help: "Requests in flight at once (closed loop).")
    var concurrency = 1
    @Option(help: "Requests per second to start (open loop); overrides --concurrency.")
    var rate: Double?
    @Option(help: "How long to run, e.g. 10s.")
    var duration = "10s"
    @Option(help: "Stop after this many requests instead.")
    var requests: Int?
    @Flag(inversion: .prefixedNo, help: "Stream the answers (TTFT and inter-token latency are measured only when streaming).")
    var stream = true
    @Option(help: "Words in each prompt.")
    var promptWords = 16
    @Option(help: "max_completion_tokens of each request.")
    var maxTokens: Int?
    @Option(name: .shortAndLong, help: "Output format: table or json.")
    var output: OutputFormat = .table

    func validate() throws {
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1.") }
        if let rate, rate <= 0 { throw ValidationError("--rate must be greater than 0.") }
        guard LumenDuration(parsing: duration) != nil else { throw ValidationError("--duration takes a duration such as 10s or 1m.") }
        if let requests, requests < 1 { throw ValidationError("--requests must be at least 1.") }
        guard promptWords >= 1 else { throw ValidationError("--prompt-words must be at least 1.") }
    }

    func run() throws {
        let console = Console.current
        let key = key ?? console.environment["LUMEN_API_KEY"] ?? ""
        let words = (0..<promptWords).map { ["route", "model", "token", "latency", "budget", "stream"][$0 % 6] }.joined(separator: " ")
        var body: JSONValue = .map([
            .init("model", .string(model)), .init("stream", .bool(stream)),
            .init("messages", .list([.map([.init("role", .string("user")), .init("content", .string(words))])])),
        ])
        if let maxTokens { body = body.setting("max_completion_tokens", .number(String(maxTokens))) }
        let plan = LoadPlan(
            url: (endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint) + "/chat/completions",
            key: key, body: body.json(pretty: false), stream: stream, concurrency: concurrency, rate: rate,
            duration: LumenDuration(parsing: duration)?.duration ?? .seconds(10), requests: requests)
        let report = try blocking { await plan.run() }
        switch output {
        case .json, .yaml: console.write(report.value.json() + "\n")
        case .table, .wide: console.write(report.table())
        }
        if report.completed == 0 { throw CommandFailure("no request succeeded; first error: \(report.firstError ?? "none")") }
    }
}

/// One load run: what to send and how hard.
struct LoadPlan: Sendable {
    var url: String
    var key: String
    var body: String
    var stream: Bool
    var concurrency: Int
    var rate: Double?
    var duration: Duration
    var requests: Int?

    struct Sample: Sendable {
        var ok: Bool
        var ttft: Double?
        var gaps: [Double]
        var total: Double
        var tokens: Int
        var error: String?
    }

    func run() async -> LoadReport {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: max(concurrency, 64) * 2)
        configuration.timeout.connect = .seconds(5)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let samples = Box<[Sample]>([])
        let issued = Box(0)
        let started = ContinuousClock.now
        let deadline = started + duration
        let take = { @Sendable () -> Bool in
            issued.withLock { count in
                if let requests, count >= requests { return false }
                if ContinuousClock.now >= deadline && requests == nil { return false }
                count += 1
                return true
            }
        }
        if let rate {
            await withTaskGroup(of: Void.self) { group in
                var next = ContinuousClock.now
                while take() {
                    group.addTask { let sample = await one(client); samples.withLock { $0.append(sample) } }
                    next += .nanoseconds(Int64(1e9 / rate))
                    try? await Task.sleep(until: next, clock: .continuous)
                }
            }
        } else {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<concurrency {
                    group.addTask {
                        while take() {
                            let sample = await one(client)
                            samples.withLock { $0.append(sample) }
                        }
                    }
                }
            }
        }
        let elapsed = ContinuousClock.now - started
        try? await client.shutdown()
        return LoadReport(samples: samples.withLock { $0 }, seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
                          stream: stream)
    }

    private func one(_ client: HTTPClient) async -> Sample {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        if !key.isEmpty { request.headers.add(name: "authorization", value: "Bearer \(key)") }
        request.body = .bytes(ByteBuffer(string: body))
        let start = ContinuousClock.now
        func ms(_ duration: Duration) -> Double {
            Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        }
        do {
            let response = try await client.execute(request, timeout: .seconds(120))
            guard response.status.code == 200 else {
                let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
                return Sample(ok: false, gaps: [], total: ms(ContinuousClock.now - start), tokens: 0,
                              error: "HTTP \(response.status.code): \(text.prefix(200))")
            }
            if !stream {
                let text = String(buffer: try await response.body.collect(upTo: 64 << 20))
                let tokens = (try? JSONValue(json: text))?["usage"]?["completion_tokens"]?.intValue ?? 0
                return Sample(ok: true, gaps: [], total: ms(ContinuousClock.now - start), tokens: tokens)
            }
            var parser = SSEParser()
            var ttft: Double?
            var last: ContinuousClock.Instant?
            var gaps: [Double] = []
            var tokens = 0
            var sawDone = false
            for try await chunk in response.body {
                for event in try parser.feed(chunk) {
                    if event == SSE.done { sawDone = true; continue }
                    guard let value = try? JSONValue(json: event) else { continue }
                    if let message = value["error"]?["message"]?.stringValue {
                        return Sample(ok: false, gaps: gaps, total: ms(ContinuousClock.now - start), tokens: tokens, error: message)
                    }
                    guard let text = value["choices"]?.arrayValue?.first?["delta"]?["content"]?.stringValue, !text.isEmpty else { continue }
                    let now = ContinuousClock.now
                    if ttft == nil { ttft = ms(now - start) } else if let last { gaps.append(ms(now - last)) }
                    last = now
                    tokens += 1
                }
            }
            return Sample(ok: sawDone, ttft: ttft, gaps: gaps, total: ms(ContinuousClock.now - start), tokens: tokens,
                          error: sawDone ? nil : "the stream ended without [DONE]")
        } catch {
            return Sample(ok: false, gaps: [], total: ms(ContinuousClock.now - start), tokens: 0, error: "\(error)")
        }
    }
}

/// Percentiles and rates of one run.
struct LoadReport {
    var samples: [LoadPlan.Sample]
    var seconds: Double
    var stream: Bool

    var completed: Int { samples.filter(\.ok).count }
    var firstError: String? { samples.first { !$0.ok }?.error }

    private var ok: [LoadPlan.Sample] { samples.filter(\.ok) }

    var metrics: [(name: String, values: [Double])] {
        var rows: [(String, [Double])] = [("end-to-end ms", ok.map(\.total))]
        if stream {
            rows.insert(("TTFT ms", ok.compactMap(\.ttft)), at: 0)
            rows.insert(("inter-token ms", ok.flatMap(\.gaps)), at: 1)
        }
        return rows
    }

    var value: JSONValue {
        func number(_ value: Double?) -> JSONValue { value.map { .number(String(format: "%.3f", $0)) } ?? .null }
        var entries: [JSONValue.Entry] = [
            .init("requests", .number(String(samples.count))), .init("completed", .number(String(completed))),
            .init("errors", .number(String(samples.count - completed))), .init("seconds", number(seconds)),
            .init("requestsPerSecond", number(Double(completed) / max(seconds, 1e-9))),
            .init("tokensPerSecond", number(Double(ok.reduce(0) { $0 + $1.tokens }) / max(seconds, 1e-9))),
        ]
        for metric in metrics {
            entries.append(.init(metric.name, .map([
                .init("p50", number(Statistics.percentile(metric.values, 0.5))), .init("p90", number(Statistics.percentile(metric.values, 0.9))),
                .init("p99", number(Statistics.percentile(metric.values, 0.99))),
            ])))
        }
        if let firstError { entries.append(.init("firstError", .string(firstError))) }
        return .map(entries)
    }

    func table() -> String {
        var table = Table(headers: ["METRIC", "P50", "P90", "P99"])
        for metric in metrics {
            let cells = [0.5, 0.9, 0.99].map { Statistics.percentile(metric.values, $0).map { String(format: "%.3f", $0) } ?? "-" }
            table.rows.append([metric.name] + cells)
        }
        var text = table.render()
        text += String(format: "requests %d, completed %d, errors %d in %.1f s: %.1f req/s, %.1f tokens/s\n",
                       samples.count, completed, samples.count - completed, seconds, Double(completed) / max(seconds, 1e-9),
                       Double(ok.reduce(0) { $0 + $1.tokens }) / max(seconds, 1e-9))
        if let firstError { text += "first error: \(firstError)\n" }
        return text
    }
}

/// A value shared by the load workers.
final class Box<Value: Sendable>: Sendable {
    private let value: Mutex<Value>

    init(_ value: Value) {
        self.value = Mutex(value)
    }

    func withLock<T>(_ body: (inout Value) -> T) -> T {
        value.withLock { body(&$0) }
    }
}
