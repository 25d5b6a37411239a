import AsyncHTTPClient
import Foundation
import LumenAPI
import LumenStore
import LumenTestSupport
import NIOCore
import NIOHTTP1
import Testing

/// Agents that are nodes of one cluster, each with its own home, sharing one control home.
final class NodeCluster: @unchecked Sendable {
    let dir: String
    let token = "e2e-cluster-token-0123456789abcdef"
    var agents: [String: (process: ManagedProcess, public: Int, admin: Int)] = [:]
    var simulators: [ManagedProcess] = []

    init(dir: String) {
        self.dir = dir
    }

    var environment: [String: String] { ["LUMEN_HOME": dir + "/home", "LUMEN_CLUSTER_TOKEN": token, "NO_COLOR": "1"] }

    /// Starts the agent that is node `name`; its log goes to `dir/NAME.log`.
    func start(_ name: String, extra: [String] = []) throws {
        var environment = environment
        environment["LUMEN_LOG_LEVEL"] = "info"
        let process = ManagedProcess(builtExecutable("lumen-agent"),
                                     ["run", "--home", "\(dir)/agent-\(name)", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
                                      "--node", name, "--probe-interval", "0"] + extra,
                                     environment: environment, log: "\(dir)/\(name).log")
        let ports = try process.start(waitingFor: #"http://127\.0\.0\.1:(\d+)/v1 \(admin http://127\.0\.0\.1:(\d+)\)"#)
        agents[name] = (process, Int(ports[0]) ?? 0, Int(ports[1]) ?? 0)
    }

    func startSimulator(_ arguments: [String] = []) throws -> String {
        let simulator = ManagedProcess(builtExecutable("lumen-engine"), ["serve", "--simulate", "--port", "0"] + arguments)
        let port = try simulator.start(waitingFor: #"http://127\.0\.0\.1:(\d+)/v1"#)[0]
        simulators.append(simulator)
        return "http://127.0.0.1:\(port)/v1"
    }

    func port(_ name: String) -> Int { agents[name]?.public ?? 0 }

    func node(_ name: String, slots: Int, labels: String = "{}") -> String {
        """
        apiVersion: lumen.ai/v1
        kind: Node
        metadata: {name: \(name)}
        spec: {address: "http://127.0.0.1:\(agents[name]?.public ?? 0)", adminAddress: "http://127.0.0.1:\(agents[name]?.admin ?? 0)", slots: \(slots), labels: \(labels)}
        """
    }

    static func simModel(_ name: String, args: [String] = ["--ttft", "5ms", "--itl", "10ms"], replicas: String, targetInFlight: Int = 8,
                         scaleToZeroAfter: String = "10m", nodes: String? = nil, quality: Double = 0.5) -> String {
        """
        apiVersion: lumen.ai/v1
        kind: Model
        metadata: {name: \(name)}
        spec:
          deployment:
            engine: sim
            args: [\(args.map { "\"\($0)\"" }.joined(separator: ", "))]
            replicas: \(replicas)
            targetInFlight: \(targetInFlight)
            scaleToZeroAfter: \(scaleToZeroAfter)
        \(nodes.map { "    nodes: \($0)" } ?? "")
          pricing: {inputPerMTok: 0.1, outputPerMTok: 0.2}
          quality: \(quality)
          contextWindow: 8192
        """
    }

    @discardableResult
    func lumenctl(_ arguments: [String]) throws -> CLIResult {
        let child = try LumenctlProcess(arguments, home: dir + "/home", scratch: dir, environment: environment)
        try child.start()
        return child.wait()
    }

    @discardableResult
    func apply(_ documents: [String]) throws -> CLIResult {
        let file = try writeFile(dir, "lumen-\(UUID().uuidString.prefix(6)).yaml", documents.joined(separator: "\n---\n"))
        let result = try lumenctl(["apply", "-f", file])
        #expect(result.exitCode == 0, "apply failed: \(result.output) \(result.error)")
        return result
    }

    func createKey() throws -> String {
        let result = try lumenctl(["keys", "create", "e2e", "-o", "json"])
        return try JSONValue(json: result.output)["key"]?.stringValue ?? ""
    }

    /// The agent's `/v1/replicas` answer.
    func runtime(_ name: String) async throws -> JSONValue {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(agents[name]?.admin ?? 0)/v1/replicas")
        request.headers.add(name: "authorization", value: "Bearer \(token)")
        return try JSONValue(json: try await send(request).body)
    }

    func replicas(_ name: String, model: String) async throws -> [JSONValue] {
        (try await runtime(name)["replicas"]?.arrayValue ?? []).filter { $0["model"]?.stringValue == model }
    }

    /// Replicas of `model` on node `name` in `states`.
    func count(_ name: String, model: String, states: Set<String> = ["starting", "ready", "backoff", "crash-loop"]) async throws -> Int {
        try await replicas(name, model: model).filter { states.contains($0["state"]?.stringValue ?? "") }.count
    }

    func usage(_ name: String) async throws -> [JSONValue] {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(agents[name]?.admin ?? 0)/v1/usage")
        request.headers.add(name: "authorization", value: "Bearer \(token)")
        return try JSONValue(json: try await send(request).body).arrayValue ?? []
    }

    /// Agent `local` running two ready replicas of `model` (slow enough to hold a stream a few
    /// seconds), taken in turn and scaled down without delay; the Node document, args and a key.
    func twoReadyReplicas(of model: String) async throws -> (node: String, args: [String], key: String) {
        try start("local", extra: ["--replica-choice", "round-robin", "--scale-down-window", "0"])
        let node = node("local", slots: 2)
        let args = ["--ttft", "5ms", "--itl", "25ms"]
        try apply([node, NodeCluster.simModel(model, args: args, replicas: "{min: 2, max: 2}")])
        let key = try createKey()
        try await eventually("both replicas are ready") { try await count("local", model: model, states: ["ready"]) == 2 }
        return (node, args, key)
    }

    func metrics(_ name: String) -> String { "http://127.0.0.1:\(agents[name]?.admin ?? 0)/metrics" }

    func stop() {
        for agent in agents.values { agent.process.stop() }
        for simulator in simulators { simulator.stop() }
    }
}

/// Waits (polling) until `condition` holds; fails the test if it does not within `seconds`.
func eventually(_ what: String, within seconds: Double = 30, _ condition: () async throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    Issue.record("timed out waiting until \(what)")
    throw CancellationError()
}

/// Whether process `pid` is gone (or a zombie nobody has reaped yet).
func processGone(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
    return stat.split(separator: ")").last?.split(separator: " ").first == "Z"
}

/// The worker a replica's guard started (the guard's child).
func workerPID(ofGuard guardPID: Int32) -> Int32? {
    let children = (try? String(contentsOfFile: "/proc/\(guardPID)/task/\(guardPID)/children", encoding: .utf8)) ?? ""
    return children.split(separator: " ").first.flatMap { Int32($0) }
}

func streamBody(_ model: String, _ content: String, maxTokens: Int) -> String {
    // ignore_eos: exactly max_tokens tokens, as vLLM's extension has it.
    #"{"model":"\#(model)","stream":true,"max_tokens":\#(maxTokens),"ignore_eos":true,"messages":[{"role":"user","content":"\#(content)"}]}"#
}

@Suite(.serialized) struct NodeRuntimeTests {
    /// A model with no replica at rest scales to several under a load ramp and back to zero when
    /// the load stops; a request that came while nothing ran waited for the cold start.
    @Test func scalesFromZeroToSeveralAndBackToZeroUnderALoadRamp() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = NodeCluster(dir: dir)
            defer { cluster.stop() }
            try cluster.start("local", extra: ["--scale-down-window", "2"])
            try cluster.apply([cluster.node("local", slots: 4),
                               NodeCluster.simModel("ramp", args: ["--ttft", "5ms", "--itl", "20ms"], replicas: "{min: 0, max: 3, warm: 0}",
                                                    targetInFlight: 2, scaleToZeroAfter: "4s")])
            let key = try cluster.createKey()
            let url = "http://127.0.0.1:\(cluster.port("local"))/v1/chat/completions"
            #expect(try await cluster.count("local", model: "ramp") == 0)

            let peak = Counter()
            let sampling = Task {
                var most = 0
                while !Task.isCancelled {
                    most = max(most, (try? await cluster.count("local", model: "ramp")) ?? 0)
                    try? await Task.sleep(for: .milliseconds(100))
                }
                return most
            }
            var streams: [ClientStream] = []
            for (clients, seconds) in [(1, 2.0), (6, 5.0)] {
                let until = Date().addingTimeInterval(seconds)
                streams += try await withThrowingTaskGroup(of: [ClientStream].self) { group in
                    for client in 0..<clients {
                        group.addTask {
                            var done: [ClientStream] = []
                            while Date() < until {
                                done.append(try await readStream(url, key: key, body: streamBody("ramp", "ramp \(client) \(done.count)", maxTokens: 20)))
                                peak.increment()
                            }
                            return done
                        }
                    }
                    return try await group.reduce([], +)
                }
            }
            sampling.cancel()
            let most = await sampling.value
            #expect(streams.count > 10)
            for stream in streams {
                #expect(stream.status == 200 && stream.done && stream.errors.isEmpty, "a request failed: \(stream.status) \(stream.answer)")
            }
            #expect(most == 3, "expected the ramp to reach max (3) replicas, saw at most \(most)")
            // The first request found nothing running and waited for the cold start.
            var metricsRequest = HTTPClientRequest(url: cluster.metrics("local"))
            metricsRequest.headers.add(name: "authorization", value: "Bearer \(cluster.token)")
            let page = try await send(metricsRequest).body
            #expect(page.contains(#"lumen_admissions_total{model="ramp",result="cold_start_wait"}"#))

            try await eventually("ramp is back to zero replicas", within: 40) { try await cluster.count("local", model: "ramp") == 0 }
            let decisions = try await cluster.runtime("local")["deployments"]?.arrayValue?.first?["decisions"]?.arrayValue ?? []
            #expect(decisions.contains { ($0["reason"]?.stringValue ?? "").contains("scaleToZeroAfter") })
            let table = try cluster.lumenctl(["get", "replicas"])
            #expect(table.exitCode == 0)
            #expect(table.output.contains("ramp") && table.output.contains("scaleToZeroAfter"), "\(table.output)")
        }
    }

    /// SIGKILL of a replica's engine mid-stream: its streams continue on the other replica, and the
    /// supervisor starts it again.
    @Test func aReplicaKilledMidStreamIsReplacedAndItsStreamsFailOver() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = NodeCluster(dir: dir)
            defer { cluster.stop() }
            try cluster.start("local", extra: ["--replica-choice", "round-robin"])
            try cluster.apply([cluster.node("local", slots: 2),
                               NodeCluster.simModel("pair", args: ["--ttft", "5ms", "--itl", "15ms"], replicas: "{min: 2, max: 2}")])
            let key = try cluster.createKey()
            try await eventually("both replicas are ready") { try await cluster.count("local", model: "pair", states: ["ready"]) == 2 }
            let url = "http://127.0.0.1:\(cluster.port("local"))/v1/chat/completions"
            let victim = try await cluster.replicas("local", model: "pair").first { $0["index"]?.intValue == 0 }
            let guardPID = Int32(victim?["pid"]?.intValue ?? 0)
            let worker = try #require(workerPID(ofGuard: guardPID))

            let streams = try await withThrowingTaskGroup(of: (Int, ClientStream).self) { group in
                for index in 0..<6 {
                    group.addTask { (index, try await readStream(url, key: key, body: streamBody("pair", "kill test \(index)", maxTokens: 120))) }
                }
                try await Task.sleep(for: .milliseconds(600))
                kill(worker, SIGKILL)
                var results: [(Int, ClientStream)] = []
                for try await result in group { results.append(result) }
                return results
            }
            for (index, stream) in streams {
                #expect(stream.status == 200 && stream.done && stream.errors.isEmpty, "stream \(index) broke: \(stream.errors)")
                // The same words the model gives without a fault (the simulator's text is a function of the conversation).
                let whole = try await send(chatRequest(port: cluster.port("local"), key: key,
                                                       body: #"{"model":"pair","max_tokens":120,"ignore_eos":true,"messages":[{"role":"user","content":"kill test \#(index)"}]}"#))
                let expected = try JSONValue(json: whole.body)["choices"]?.arrayValue?.first?["message"]?["content"]?.stringValue
                #expect(stream.text == expected, "stream \(index) differs from the unbroken answer")
            }
            try await eventually("the ledger shows streams that failed over") {
                try await cluster.usage("local").contains { ($0["failovers"]?.intValue ?? 0) > 0 }
            }
            try await eventually("the killed replica is ready again") {
                let replica = try await cluster.replicas("local", model: "pair").first { $0["index"]?.intValue == 0 }
                return replica?["state"]?.stringValue == "ready" && (replica?["restarts"]?.intValue ?? 0) >= 1
            }
            #expect(processGone(worker))
        }
    }

    /// Scaling down drains: the replica taken away stops taking requests, finishes its open
    /// stream, and only then stops.
    @Test func aScaleDownDrainsOpenStreamsBeforeStopping() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = NodeCluster(dir: dir)
            defer { cluster.stop() }
            let (node, args, key) = try await cluster.twoReadyReplicas(of: "drain")
            let url = "http://127.0.0.1:\(cluster.port("local"))/v1/chat/completions"
            // One stream and one whole answer (whose head comes only at its end), one on each replica.
            let whole = #"{"model":"drain","max_tokens":300,"ignore_eos":true,"messages":[{"role":"user","content":"drain whole"}]}"#
            let (stream, answer) = try await withThrowingTaskGroup(of: (ClientStream?, Int?).self) { group in
                group.addTask { (try await readStream(url, key: key, body: streamBody("drain", "drain stream", maxTokens: 300)), nil) }
                try await eventually("the stream is open", within: 10) {
                    try await cluster.replicas("local", model: "drain").contains { $0["inFlight"]?.intValue == 1 }
                }
                group.addTask { (nil, try await send(chatRequest(port: cluster.port("local"), key: key, body: whole)).status) }
                try await eventually("each replica has a request open", within: 10) {
                    try await cluster.replicas("local", model: "drain").allSatisfy { $0["inFlight"]?.intValue == 1 }
                }
                // Only the replica count changes: the process stays the same, so this is a scale-down, not a replacement.
                try cluster.apply([node, NodeCluster.simModel("drain", args: args, replicas: "{min: 1, max: 1}")])
                try await eventually("one replica drains with its request open", within: 10) {
                    try await cluster.replicas("local", model: "drain").contains { $0["state"]?.stringValue == "draining" && $0["inFlight"]?.intValue == 1 }
                }
                var stream: ClientStream?, status: Int?
                for try await result in group {
                    stream = result.0 ?? stream
                    status = result.1 ?? status
                }
                return (stream, status)
            }
            #expect(stream?.status == 200 && stream?.done == true && stream?.errors.isEmpty == true, "the stream was cut: \(String(describing: stream?.errors))")
            #expect(answer == 200, "the whole answer was cut: \(String(describing: answer))")
            #expect(try await cluster.usage("local").allSatisfy { ($0["failovers"]?.intValue ?? 0) == 0 }, "a request had to fail over: it was cut")
            try await eventually("the drained replica is gone") { try await cluster.replicas("local", model: "drain").count == 1 }

            // A changed deployment replaces its replica new-first: one is ready all along.
            let before = try await cluster.replicas("local", model: "drain").first?["pid"]?.intValue
            try cluster.apply([node, NodeCluster.simModel("drain", args: ["--ttft", "5ms", "--itl", "5ms"], replicas: "{min: 1, max: 1}")])
            try await eventually("the replica was replaced", within: 20) {
                let replicas = try await cluster.replicas("local", model: "drain")
                #expect(replicas.contains { $0["state"]?.stringValue == "ready" }, "no replica was ready during the replacement")
                return replicas.count == 1 && replicas.first?["pid"]?.intValue != before && replicas.first?["state"]?.stringValue == "ready"
            }
        }
    }

    /// Load that returns while a replica drains takes that replica back instead of starting a
    /// new one (which would wait out a whole cold start).
    @Test func aDrainingReplicaIsTakenBackWhenLoadReturns() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = NodeCluster(dir: dir)
            defer { cluster.stop() }
            let (node, args, key) = try await cluster.twoReadyReplicas(of: "back")
            let pids = Set(try await cluster.replicas("local", model: "back").compactMap { $0["pid"]?.intValue })
            let url = "http://127.0.0.1:\(cluster.port("local"))/v1/chat/completions"
            let streams = try await withThrowingTaskGroup(of: ClientStream.self) { group in
                for index in 0..<2 {
                    group.addTask { try await readStream(url, key: key, body: streamBody("back", "back \(index)", maxTokens: 300)) }
                }
                try await eventually("each replica has a stream open", within: 10) {
                    try await cluster.replicas("local", model: "back").allSatisfy { $0["inFlight"]?.intValue == 1 }
                }
                try cluster.apply([node, NodeCluster.simModel("back", args: args, replicas: "{min: 1, max: 1}")])
                try await eventually("one replica drains", within: 10) { try await cluster.count("local", model: "back", states: ["draining"]) == 1 }
                try cluster.apply([node, NodeCluster.simModel("back", args: args, replicas: "{min: 2, max: 2}")])
                try await eventually("the draining replica is taken back", within: 10) {
                    try await cluster.count("local", model: "back", states: ["ready"]) == 2
                }
                var results: [ClientStream] = []
                for try await stream in group { results.append(stream) }
                return results
            }
            #expect(Set(try await cluster.replicas("local", model: "back").compactMap { $0["pid"]?.intValue }) == pids, "a new replica was started")
            for stream in streams { #expect(stream.status == 200 && stream.done && stream.errors.isEmpty) }
        }
    }

    /// engine: builtin runs lumen-engine on the deployment's GGUF file, and the route answers with it.
    @Test func aBuiltinReplicaServesAGGUFModel() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = NodeCluster(dir: dir)
            defer { cluster.stop() }
            // The model file comes from lumen-engine itself, as an operator would make one.
            let writer = ManagedProcess(builtExecutable("lumen-engine"), ["tiny-model", "--output", dir + "/tiny.gguf", "--type", "q8_0"])
            _ = try writer.start(waitingFor: "wrote (.+)")
            writer.process.waitUntilExit()
            #expect(writer.process.terminationStatus == 0)
            try cluster.start("local")
            try cluster.apply([cluster.node("local", slots: 1), """
                apiVersion: lumen.ai/v1
                kind: Model
                metadata: {name: tiny}
                spec:
                  deployment: {engine: builtin, model: "\(dir)/tiny.gguf", replicas: {min: 1, max: 1}}
                  pricing: {inputPerMTok: 0.01, outputPerMTok: 0.02}
                  quality: 0.3
                  contextWindow: 512
                """])
            try await eventually("the builtin replica is ready") { try await cluster.count("local", model: "tiny", states: ["ready"]) == 1 }
            let key = try cluster.createKey()
            let answer = try await send(chatRequest(port: cluster.port("local"), key: key,
                body: #"{"model":"tiny","temperature":0,"max_tokens":8,"ignore_eos":true,"messages":[{"role":"user","content":"hello the model"}]}"#))
            #expect(answer.status == 200, "\(answer.body)")
            let value = try JSONValue(json: answer.body)
            #expect(value["usage"]?["completion_tokens"]?.intValue == 8)
            let content = value["choices"]?.arrayValue?.first?["message"]?["content"]?.stringValue ?? ""
            #expect(content.isEmpty == false)
            let stream = try await readStream("http://127.0.0.1:\(cluster.port("local"))/v1/chat/completions", key: key,
                                              body: streamBody("tiny", "hello the model", maxTokens: 8))
            #expect(stream.status == 200 && stream.done && stream.errors.isEmpty && !stream.text.isEmpty)
        }
    }

    /// An agent killed with SIGKILL leaves no worker behind: each guard sees it gone and stops its group.
    @Test func anAgentKilledWithSIGKILLLeavesNoWorker() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = NodeCluster(dir: dir)
            defer { cluster.stop() }
            try cluster.start("local")
            try cluster.apply([cluster.node("local", slots: 2), NodeCluster.simModel("orphan", replicas: "{min: 2, max: 2}")])
            try await eventually("both replicas are ready") { try await cluster.count("local", model: "orphan", states: ["ready"]) == 2 }
            let guards = try await cluster.replicas("local", model: "orphan").compactMap { $0["pid"]?.intValue.map(Int32.init) }
            let workers = guards.compactMap(workerPID(ofGuard:))
            #expect(guards.count == 2 && workers.count == 2)
            kill(cluster.agents["local"]?.process.process.processIdentifier ?? 0, SIGKILL)
            try await eventually("every guard and worker is gone", within: 20) { (guards + workers).allSatisfy(processGone) }
        }
    }

    /// A command that exits at once is restarted with a growing backoff and reported as a crash
    /// loop, with its own last words, in the replica list, health and logs.
    @Test func aCrashLoopingCommandIsReportedNotRetriedHot() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = NodeCluster(dir: dir)
            defer { cluster.stop() }
            try cluster.start("local", extra: ["--queue-timeout", "2"])
            try cluster.apply([cluster.node("local", slots: 1), """
                apiVersion: lumen.ai/v1
                kind: Model
                metadata: {name: broken}
                spec:
                  deployment:
                    engine: process
                    command: "echo loading weights for port {port}; echo 'fatal: CUDA out of memory' >&2; exit 3"
                    replicas: {min: 1, max: 1}
                  pricing: {inputPerMTok: 1, outputPerMTok: 2}
                  quality: 0.5
                  contextWindow: 8192
                """])
            try await eventually("the replica is reported as crash-looping") {
                try await cluster.count("local", model: "broken", states: ["crash-loop"]) == 1
            }
            let replica = try #require(try await cluster.replicas("local", model: "broken").first)
            let reason = replica["reason"]?.stringValue ?? ""
            #expect(reason.contains("crash loop") && reason.contains("fatal: CUDA out of memory") && reason.contains("exit 3"), "\(reason)")
            let restarts = replica["restarts"]?.intValue ?? 0
            try await Task.sleep(for: .seconds(3))
            let later = try await cluster.replicas("local", model: "broken").first?["restarts"]?.intValue ?? 0
            #expect(later <= restarts + 1, "restarted \(later - restarts) times in 3 s: retried hot")

            let health = try cluster.lumenctl(["health", "-o", "wide"])
            #expect(health.output.contains("replica/broken-0") && health.output.contains("crash loop"), "\(health.output)")
            let logs = try cluster.lumenctl(["logs", "broken", "--tail", "20"])
            #expect(logs.exitCode == 0 && logs.output.contains("fatal: CUDA out of memory") && logs.output.contains("loading weights"), "\(logs.output) \(logs.error)")
            let missing = try cluster.lumenctl(["logs", "broken", "--replica", "7"])
            #expect(missing.exitCode == 1 && missing.error.contains("lumenctl get replicas"), "\(missing.error)")

            // A request for it is refused at once with the reason, not left to wait for a replica that will not come.
            let key = try cluster.createKey()
            let answer = try await send(chatRequest(port: cluster.port("local"), key: key,
                                                    body: #"{"model":"broken","messages":[{"role":"user","content":"hi"}]}"#))
            #expect(answer.status == 503 && answer.body.contains("model_unavailable") && answer.body.contains("crash loop"), "\(answer.status) \(answer.body)")
        }
    }

    /// While a route's cheapest model starts from zero, its requests go to the next qualified
    /// candidate instead of waiting; once a replica is ready they come back. A route whose SLO a
    /// cold start cannot meet refuses at once with why.
    @Test func aModelStartingFromZeroSendsItsRouteElsewhereAndAnSLOItCannotMeetIsRefused() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = NodeCluster(dir: dir)
            defer { cluster.stop() }
            try cluster.start("local")
            let frontier = try cluster.startSimulator(["--ttft", "1ms", "--itl", "1ms"])
            try cluster.apply([
                cluster.node("local", slots: 2),
                NodeCluster.simModel("cheap", args: ["--ttft", "1ms", "--itl", "1ms", "--load-time", "1500ms"], replicas: "{min: 0, max: 1}"),
                NodeCluster.simModel("sleepy", args: ["--load-time", "60s"], replicas: "{min: 0, max: 1}"),
                """
                apiVersion: lumen.ai/v1
                kind: Model
                metadata: {name: frontier}
                spec:
                  deployment: {endpoints: ["\(frontier)"]}
                  pricing: {inputPerMTok: 5, outputPerMTok: 15}
                  quality: 0.9
                  contextWindow: 8192
                ---
                apiVersion: lumen.ai/v1
                kind: Route
                metadata: {name: chat}
                spec: {candidates: [cheap, frontier], qualityBar: 0.3}
                ---
                apiVersion: lumen.ai/v1
                kind: Route
                metadata: {name: strict}
                spec: {candidates: [sleepy], qualityBar: 0.3, slo: {ttftP95: 300ms}}
                """,
            ])
            let key = try cluster.createKey()
            let body = #"{"model":"lumen/chat","messages":[{"role":"user","content":"hello"}]}"#
            let first = try await send(chatRequest(port: cluster.port("local"), key: key, body: body))
            #expect(first.status == 200)
            #expect(first.headers.first(name: "x-lumen-model") == "frontier")
            try await eventually("cheap has a ready replica") { try await cluster.count("local", model: "cheap", states: ["ready"]) == 1 }
            let later = try await send(chatRequest(port: cluster.port("local"), key: key, body: body))
            #expect(later.status == 200)
            #expect(later.headers.first(name: "x-lumen-model") == "cheap")
            #expect(try await metric(#"lumen_admissions_total{model="cheap",result="spilled"}"#, at: cluster.metrics("local")) >= 1)
            #expect(try await metric(#"lumen_admissions_total{model="cheap",result="cold_start_wait"}"#, at: cluster.metrics("local")) <= 0)

            let strict = try await send(chatRequest(port: cluster.port("local"), key: key,
                                                    body: #"{"model":"lumen/strict","messages":[{"role":"user","content":"hello"}]}"#))
            #expect(strict.status == 503)
            #expect(strict.body.contains("queue_timeout") && strict.body.contains("sleepy") && strict.body.contains("ttftP95"), "\(strict.body)")
            #expect(strict.headers.first(name: "retry-after") != nil)
        }
    }

    /// Three agents on loopback: models hosted on two of them are served through the third's
    /// endpoint, and stopping one of the hosts while traffic flows loses no request.
    @Test func threeNodesServeEachOthersModelsAndStoppingOneLosesNoRequest() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let cluster = NodeCluster(dir: dir)
            defer { cluster.stop() }
            for name in ["a", "b", "c"] { try cluster.start(name) }
            let args = ["--ttft", "5ms", "--itl", "10ms"]
            try cluster.apply([
                cluster.node("a", slots: 0, labels: "{role: gateway}"),
                cluster.node("b", slots: 2, labels: "{pool: b, tier: gpu}"),
                cluster.node("c", slots: 2, labels: "{pool: c, tier: gpu}"),
                NodeCluster.simModel("only-b", args: args, replicas: "{min: 1, max: 1}", nodes: "{pool: b}"),
                NodeCluster.simModel("only-c", args: args, replicas: "{min: 1, max: 1}", nodes: "{pool: c}"),
                NodeCluster.simModel("shared", args: args, replicas: "{min: 1, max: 1}", nodes: "{tier: gpu}"),
            ])
            let key = try cluster.createKey()
            try await eventually("every host has its replicas ready") {
                let b = try await cluster.count("b", model: "only-b", states: ["ready"]) + cluster.count("b", model: "shared", states: ["ready"])
                let c = try await cluster.count("c", model: "only-c", states: ["ready"]) + cluster.count("c", model: "shared", states: ["ready"])
                return b == 2 && c == 2
            }
            #expect(try await cluster.runtime("a")["replicas"]?.arrayValue?.isEmpty == true)
            for model in ["only-b", "only-c"] {
                let answer = try await send(chatRequest(port: cluster.port("a"), key: key,
                                                        body: #"{"model":"\#(model)","messages":[{"role":"user","content":"hi"}]}"#))
                #expect(answer.status == 200, "\(model): \(answer.body)")
                #expect(answer.headers.first(name: "x-lumen-model") == model)
            }
            // The ledger is written in batches: wait for both rows.
            try await eventually("a's ledger shows both requests, served by the peers") {
                let rows = try await cluster.usage("a")
                return rows.contains { $0["model"]?.stringValue == "only-b" && $0["upstream"]?.stringValue == "peer/b" }
                    && rows.contains { $0["model"]?.stringValue == "only-c" && $0["upstream"]?.stringValue == "peer/c" }
            }
            // The hosts record requests a peer passed on as peer rows: the entry agent's client rows bill them.
            let hosted = try await cluster.usage("b")
            #expect(hosted.count == 1 && hosted.allSatisfy { $0["origin"]?.stringValue == "peer" && $0["model"]?.stringValue == "only-b" },
                    "\(hosted)")

            // Streams and new requests for the shared model through a, while c stops.
            let url = "http://127.0.0.1:\(cluster.port("a"))/v1/chat/completions"
            let until = Date().addingTimeInterval(4)
            let streams = try await withThrowingTaskGroup(of: [ClientStream].self) { group in
                for client in 0..<6 {
                    group.addTask {
                        var done: [ClientStream] = []
                        while Date() < until {
                            done.append(try await readStream(url, key: key, body: streamBody("shared", "node \(client) \(done.count)", maxTokens: 40)))
                        }
                        return done
                    }
                }
                try await Task.sleep(for: .milliseconds(800))
                kill(cluster.agents["c"]?.process.process.processIdentifier ?? 0, SIGKILL)
                return try await group.reduce([], +)
            }
            #expect(streams.count > 12)
            for stream in streams {
                #expect(stream.status == 200 && stream.done && stream.errors.isEmpty, "a request was lost: \(stream.status) \(stream.answer) \(stream.errors)")
            }
            try await eventually("a's ledger shows streams that moved from c to b") {
                try await cluster.usage("a").contains {
                    $0["model"]?.stringValue == "shared" && $0["upstream"]?.stringValue == "peer/b" && ($0["failovers"]?.intValue ?? 0) > 0
                }
            }

            // The public port takes a node's own peer token (HMAC of its name), only with that name,
            // and only for models the agent runs.
            let shared = #"{"model":"shared","messages":[{"role":"user","content":"hi"}]}"#
            func asPeer(_ token: String, node: String?, body: String = shared) -> HTTPClientRequest {
                var request = chatRequest(port: cluster.port("b"), key: token, body: body)
                if let node { request.headers.add(name: PeerToken.nodeHeader, value: node) }
                return request
            }
            let peer = PeerToken.derive(clusterToken: cluster.token, node: "a")
            #expect(try await send(asPeer(cluster.token, node: "a")).status == 401)
            #expect(try await send(asPeer("lpt_0000", node: "a")).status == 401)
            #expect(try await send(asPeer(peer, node: nil)).status == 401)
            #expect(try await send(asPeer(peer, node: "c")).status == 401)
            // The old token, one unsalted hash of the cluster token for every node, is refused.
            #expect(try await send(asPeer(PeerToken.scheme + APIKeySecret.hash("lumen-peer:" + cluster.token), node: "a")).status == 401)
            #expect(try await send(asPeer(peer, node: "a")).status == 200)
            let notHere = try await send(asPeer(peer, node: "a", body: #"{"model":"only-c","messages":[{"role":"user","content":"hi"}]}"#))
            #expect(notHere.status == 404, "\(notHere.body)")
        }
    }
}
