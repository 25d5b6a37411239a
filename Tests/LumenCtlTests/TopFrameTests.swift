import Foundation
import LumenAPI
@testable import LumenCtl
import LumenTestSupport
import Testing

/// `lumenctl top`'s frame drawn from plain samples, and the command's one-shot and error paths.
@Suite struct TopFrameTests {
    static let replicaA = "endpoint/http://10.0.0.7:8000/v1"
    static let replicaB = "endpoint/http://10.0.0.8:8000/v1"

    /// Two nodes: east answers with two replicas and a provider and a minute of ledger; west does not answer.
    static var sample: FleetSample {
        let usage = FleetSample.UsageTotals(requests: 30, promptTokens: 3000, completionTokens: 6000, cost: Decimal(string: "0.03") ?? 0, failed: 2)
        let east = FleetSample.Node(
            name: "east", revision: 4, version: "0.1.0",
            upstreams: [
                .init(id: replicaA, model: "llama-8b", state: "healthy", reason: "answering", inFlight: 3,
                      ttftP50Milliseconds: 42.5, ttftP99Milliseconds: 180, interTokenP50Milliseconds: 12.25, errorRate: 0, requests: 20),
                .init(id: replicaB, model: "llama-8b", state: "ejected", reason: "5 failures in a row (connection refused); back in 30s",
                      errorRate: 1, requests: 5),
                .init(id: "provider/openai", model: "gpt-4o-mini", state: "degraded", reason: "TTFT p95 above the route's SLO",
                      inFlight: 1, ttftP50Milliseconds: 400, ttftP99Milliseconds: 1200, errorRate: 0.1, requests: 10),
            ],
            usage: usage,
            usageByUpstream: [
                replicaA: .init(requests: 20, promptTokens: 2000, completionTokens: 4000, cost: Decimal(string: "0.01") ?? 0),
                "provider/openai": .init(requests: 10, promptTokens: 1000, completionTokens: 2000, cost: Decimal(string: "0.02") ?? 0, failed: 2),
            ])
        let west = FleetSample.Node(name: "west", unreachableReason: "unreachable (connection refused)")
        return FleetSample(takenAt: Date(timeIntervalSince1970: 0), windowSeconds: 60, nodes: [east, west])
    }

    static func render(width: Int? = nil, height: Int? = nil, colored: Bool = false) -> [String] {
        TopFrame(sample: sample, width: width, height: height, colored: colored, hint: "every 2s · q to quit").lines()
    }

    /// The line of a section's table whose cells start with these words.
    static func row(_ lines: [String], _ words: String...) -> String? {
        lines.first { line in line.split(separator: " ", omittingEmptySubsequences: true).map(String.init).starts(with: words) }
    }

    @Test func headerAddsUpTheFleetOverTheLastMinute() {
        let lines = Self.render()
        #expect(lines[0].hasPrefix("lumenctl top · ") && lines[0].hasSuffix(" · every 2s · q to quit"))
        // 30 requests, 3000 + 6000 tokens and $0.03 in 60 s.
        #expect(lines[1] == "nodes 1/2 up · 0.50 req/s · tokens/s 50.0 in, 100.0 out · $1.80/h · 2 errors (last 60s)")
    }

    @Test func sectionsShowNodesReplicasAndProvidersApart() throws {
        let lines = Self.render()
        let nodes = try #require(lines.firstIndex(of: "NODES"))
        let replicas = try #require(lines.firstIndex(of: "MODELS / REPLICAS"))
        let providers = try #require(lines.firstIndex(of: "PROVIDERS"))
        #expect(nodes < replicas && replicas < providers)
        #expect(lines[nodes + 1].split(separator: " ").first == "NODE")

        let east = try #require(Self.row(lines, "east", "up", "4", "0.1.0"))
        #expect(east.contains(" 4 ") && east.contains("0.50") && east.contains("$1.80"))
        let healthy = try #require(Self.row(lines, "east", "llama-8b", "http://10.0.0.7:8000/v1", "healthy"))
        #expect(healthy.contains("42.5 ms") && healthy.contains("180.0 ms") && healthy.contains("12.2 ms") && healthy.contains("0% of 20"))
        #expect(healthy.contains("0.33") && healthy.hasSuffix("answering"))
        let ejected = try #require(Self.row(lines, "east", "llama-8b", "http://10.0.0.8:8000/v1", "ejected"))
        #expect(ejected.contains("100% of 5") && ejected.contains("back in 30s"))
        let provider = try #require(Self.row(lines, "east", "openai", "gpt-4o-mini", "degraded"))
        #expect(provider.contains("$1.20") && provider.contains("10% of 10"))
        // Providers are not replicas and replicas are not providers.
        let replicaRows = lines[replicas..<providers]
        #expect(!replicaRows.contains { $0.contains("openai") })
        #expect(!lines[providers...].contains { $0.contains("10.0.0.7") })
    }

    @Test func anUnreachableNodeSaysWhyAndTheRestStillShows() throws {
        let lines = Self.render()
        let west = try #require(Self.row(lines, "west", "unreachable"))
        #expect(west.hasSuffix("connection refused") && !west.contains("(connection refused)"))
        // west has no replicas to show; east's still do.
        #expect(Self.row(lines, "west", "llama-8b") == nil)
        #expect(Self.row(lines, "east", "llama-8b", "http://10.0.0.7:8000/v1", "healthy") != nil)

        let onlyDown = FleetSample(takenAt: Date(), nodes: [.init(name: "west", unreachableReason: "HTTP 500: disk full")])
        let frame = TopFrame(sample: onlyDown, width: nil, height: nil, colored: false, hint: nil).lines()
        #expect(frame[1].hasPrefix("nodes 0/1 up · 0.00 req/s"))
        #expect(frame.contains("  (no replicas on reachable nodes)") && frame.contains("  (no providers on reachable nodes)"))
        #expect(Self.row(frame, "west", "unreachable")?.hasSuffix("HTTP 500: disk full") == true)
    }

    @Test func statesAreColouredOnlyWhenAsked() throws {
        let plain = Self.render(width: 160).joined(separator: "\n")
        #expect(!plain.contains("\u{1B}"))
        let lines = Self.render(width: 160, colored: true)
        let coloured = lines.joined(separator: "\n")
        #expect(coloured.contains("\u{1B}[32mhealthy\u{1B}[0m"))
        #expect(coloured.contains("\u{1B}[33mdegraded\u{1B}[0m"))
        #expect(coloured.contains("\u{1B}[31mejected\u{1B}[0m"))
        #expect(coloured.contains("\u{1B}[31munreachable\u{1B}[0m"))
        // Colour codes do not push columns out of line: without them the frame reads the same.
        #expect(lines.map(Self.visible) == Self.render(width: 160))
    }

    @Test func linesFitTheWidthAndLongCellsAreCut() throws {
        for width in [40, 80, 120] {
            for colored in [false, true] {
                let lines = Self.render(width: width, colored: colored)
                for line in lines { #expect(Self.visible(line).count <= width, "\(width): \(line)") }
            }
        }
        let lines = Self.render(width: 140)
        // The reason gives way first, with an ellipsis; the node, model and state stay whole.
        let ejected = try #require(Self.row(lines, "east", "llama-8b", "http://10.0.0.8:8000/v1", "ejected"))
        #expect(ejected.hasSuffix("…") && !ejected.contains("back in 30s"))
        // Without a width nothing is cut.
        #expect(!Self.render().contains { $0.contains("…") })
    }

    @Test func aShortWindowSaysWhatIsHidden() {
        let lines = Self.render(width: 120, height: 10)
        #expect(lines.count == 10)
        #expect(lines[9].hasPrefix("… ") && lines[9].contains("more lines; make the window taller"))
    }

    @Test func sectionColumnsShrinkInTheirOrder() {
        var section = TopSection(title: "T", headers: ["A", "LONG", "WHY"], shrinkFirst: [2, 1], empty: "none")
        section.rows = [[.init("a"), .init(String(repeating: "x", count: 20)), .init(String(repeating: "y", count: 30))]]
        #expect(section.columnWidths(fitting: nil) == [1, 20, 30])
        #expect(section.columnWidths(fitting: 40) == [1, 20, 15])
        #expect(section.columnWidths(fitting: 20) == [1, 9, 6])
    }

    @Test func agentAnswersBecomeASample() throws {
        let health = try JSONValue(json: """
            [{"upstream": "endpoint/http://127.0.0.1:9/v1", "model": "m", "state": "healthy", "reason": "no traffic yet",
              "secondsInState": 3, "ttftP50Milliseconds": 1.5, "errorRate": 0, "requests": 2, "inFlight": 1, "ejections": 0}]
            """)
        let usage = try JSONValue(json: """
            [{"requestID": "a", "at": "2025-01-01T00:00:00Z", "upstream": "endpoint/http://127.0.0.1:9/v1", "promptTokens": 10,
              "completionTokens": 5, "cachedTokens": 0, "cost": "0.000020", "durationMilliseconds": 3, "status": 200, "outcome": "completed", "failovers": 0},
             {"requestID": "b", "at": "2025-01-01T00:00:01Z", "promptTokens": 0, "completionTokens": 0, "cachedTokens": 0,
              "cost": "0", "durationMilliseconds": 1, "status": 502, "outcome": "failed", "failovers": 1}]
            """)
        let node = FleetGatherer.node(
            "n", status: .init(node: "n", appliedRevision: 7, version: "0.1.0", answer: try JSONValue(json: #"{"revision": 7, "version": "0.1.0", "warnings": ["w"]}"#)),
            health: .init(node: "n", answer: health), usage: .init(node: "n", answer: usage))
        #expect(node.isReachable && node.revision == 7 && node.warnings == ["w"] && node.inFlight == 1)
        #expect(node.upstreams.first?.ttftP50Milliseconds == 1.5 && node.upstreams.first?.ttftP99Milliseconds == nil)
        #expect(node.usage == .init(requests: 2, promptTokens: 10, completionTokens: 5, cost: Decimal(string: "0.00002") ?? 0, failed: 1))
        #expect(node.usageByUpstream["endpoint/http://127.0.0.1:9/v1"]?.requests == 1)

        let down = FleetGatherer.node("d", status: .init(node: "d", error: "unreachable (connection refused)"), health: nil, usage: nil)
        #expect(down.unreachableReason == "unreachable (connection refused)" && down.upstreams.isEmpty)
    }

    @Test func onceWithoutATerminalPrintsOnePlainFrame() async throws {
        try await withTemporaryDirectoryAsync { home in
            let file = try writeFile(home, "node.yaml", """
                apiVersion: lumen.ai/v1
                kind: Node
                metadata: {name: gone}
                spec: {address: "http://127.0.0.1:1", adminAddress: "http://127.0.0.1:1"}
                """)
            _ = await Self.lumenctlOnItsOwnThread(["apply", "-f", file], home: home)
            for arguments in [["top"], ["top", "--once"]] {
                let result = await Self.lumenctlOnItsOwnThread(arguments, home: home)
                #expect(result.exitCode == 0, "\(result)")
                #expect(!result.output.contains("\u{1B}"), "\(result)")
                let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                #expect(lines[1].hasPrefix("nodes 0/1 up"), "\(result)")
                #expect(Self.row(lines, "gone", "unreachable")?.contains("connection refused") == true, "\(result)")
            }
        }
    }

    /// Commands that ask agents block their thread until the answers arrive; that must not be one
    /// of the few threads Swift concurrency runs tests and the HTTP client's tasks on.
    static func lumenctlOnItsOwnThread(_ arguments: [String], home: String) async -> CLIResult {
        await withCheckedContinuation { continuation in
            Thread {
                continuation.resume(returning: lumenctl(arguments, home: home, environment: ["LUMEN_CLUSTER_TOKEN": "t"]))
            }.start()
        }
    }

    @Test func withoutNodesTopSaysWhatToDo() throws {
        try withTemporaryDirectory { home in
            let empty = lumenctl(["top", "--once"], home: home)
            #expect(empty.exitCode == 1 && empty.error.contains("lumenctl apply -f"), "\(empty)")
            let file = try writeFile(home, "m.yaml", Fixtures.minimal)
            #expect(lumenctl(["apply", "-f", file], home: home).exitCode == 0)
            let noNodes = lumenctl(["top", "--once"], home: home)
            #expect(noNodes.exitCode == 1 && noNodes.error.contains("apply a Node manifest with spec.adminAddress"), "\(noNodes)")
            let badInterval = lumenctl(["top", "--interval", "2"], home: home)
            #expect(badInterval.exitCode == 64 && badInterval.error.contains("--interval"), "\(badInterval)")
            #expect(lumenctl(["top", "--interval", "10ms"], home: home).exitCode == 64)
        }
    }

    @Test func quitKeys() {
        #expect(TopLoop.quits(Array("q".utf8)) && TopLoop.quits(Array("Q".utf8)) && TopLoop.quits([0x1B]) && TopLoop.quits([0x03]))
        // An arrow key starts with Esc but is not one.
        #expect(!TopLoop.quits([0x1B, 0x5B, 0x41]) && !TopLoop.quits(Array("x".utf8)))
    }

    /// A line as a person sees it: colour codes removed.
    static func visible(_ line: String) -> String {
        line.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression)
    }
}
