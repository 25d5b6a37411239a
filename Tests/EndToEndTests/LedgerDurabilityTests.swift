import AsyncHTTPClient
import Foundation
import LumenAPI
import LumenStore
import LumenTestSupport
import NIOCore
import NIOHTTP1
import Testing

/// The usage ledger of a real agent: no answered request's row is lost to a crash, a lock on
/// agent.db stalls nothing, and a failing disk refuses new requests instead of serving them unbilled.
@Suite(.serialized) struct LedgerDurabilityTests {
    static func start(_ dir: String) throws -> (cluster: LiveCluster, key: String) {
        let cluster = LiveCluster(dir: dir)
        let simulator = try cluster.startSimulator(["--ttft", "0ms", "--itl", "0ms"])
        try cluster.startAgent(extra: ["--probe-interval", "0"])
        let applied = try cluster.apply(cluster.manifests(endpoint: simulator))
        #expect(applied.exitCode == 0, "\(applied)")
        return (cluster, try cluster.createKey("ledger"))
    }

    static func chat(_ port: Int, _ key: String, id: String, stream: Bool) -> HTTPClientRequest {
        var request = chatRequest(port: port, key: key, body: #"{"model":"lumen/auto","stream":\#(stream),"max_tokens":6,"messages":[{"role":"user","content":"count to three"}]}"#)
        request.headers.add(name: "x-request-id", value: id)
        return request
    }

    /// Rows in the agent's agent.db, read as another process would.
    static func rows(_ cluster: LiveCluster) throws -> [UsageRecord] {
        try AgentStore(home: cluster.dir + "/agent").usage(limit: 1_000_000)
    }

    @Test func aCrashRightAfterTheLastAnswerLosesNoRow() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let (cluster, key) = try Self.start(dir)
            defer { cluster.stop() }
            for trial in 0..<3 {
                let count = Int.random(in: 100...140)
                // 8 at a time, every third streamed; each answer read to its end.
                // The agent's id of each answered request, from its x-request-id header.
                var answered: [String] = []
                var statuses: [Int] = []
                for first in stride(from: 0, to: count, by: 8) {
                    let results = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                        for index in first..<min(first + 8, count) {
                            group.addTask {
                                let stream = index % 3 == 0
                                let answer = try await send(Self.chat(cluster.publicPort, key, id: "t\(trial)-\(index)", stream: stream))
                                return (!stream || answer.body.contains("[DONE]") ? answer.status : -1, answer.headers.first(name: "x-request-id") ?? "")
                            }
                        }
                        return try await group.reduce(into: []) { $0.append($1) }
                    }
                    statuses += results.map(\.0)
                    answered += results.map(\.1)
                }
                // A random moment right after the last answer, while the agent may still be moving rows to agent.db.
                if Bool.random() { try await Task.sleep(for: .microseconds(Int.random(in: 0...3_000))) }
                cluster.agent?.crash()
                #expect(statuses.count == count && statuses.allSatisfy { $0 == 200 }, "\(statuses)")

                try cluster.startAgent(extra: ["--probe-interval", "0"])
                let ids = Set(answered)
                let found = try Self.rows(cluster).filter { ids.contains($0.requestID) }
                #expect(ids.count == count)
                #expect(found.count == count, "trial \(trial): \(found.count) of \(count) answered requests are in agent.db after kill -9")
                #expect(Set(found.map(\.requestID)).count == count, "each row once")
                #expect(found.allSatisfy { $0.outcome == .completed && $0.origin == .client && $0.completionTokens > 0 })
            }
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3"), "needs the sqlite3 CLI (scripts/bootstrap.sh)"))
    func anotherProcessLockingAgentDBStallsNoRequest() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let (cluster, key) = try Self.start(dir)
            defer { cluster.stop() }
            #expect(try await send(Self.chat(cluster.publicPort, key, id: "before", stream: false)).status == 200)

            // sqlite3 takes agent.db's write lock and keeps it until its input ends.
            let locker = Process()
            locker.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
            locker.arguments = [cluster.dir + "/agent/agent.db"]
            let input = Pipe(), output = Pipe()
            locker.standardInput = input
            locker.standardOutput = output
            locker.standardError = output
            try locker.run()
            defer { if locker.isRunning { locker.terminate() } }
            input.fileHandleForWriting.write(Data(".timeout 5000\nBEGIN EXCLUSIVE;\nINSERT INTO usage SELECT * FROM usage LIMIT 0;\n.print locked\n".utf8))
            var said = Data()
            while !String(decoding: said, as: UTF8.self).contains("locked") {
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                said.append(chunk)
            }
            #expect(String(decoding: said, as: UTF8.self).contains("locked"), "sqlite3 holds the lock: \(String(decoding: said, as: UTF8.self))")

            // For longer than the agent's SQLite busy timeout (10 s): chats (each writes a row), /health and /v1/models,
            // each answered within 5 s. Before, a ledger flush waiting on the lock held an event loop thread.
            var answered = 0
            var chats: Set<String> = []
            for round in 0..<24 {
                for (index, request) in [
                    Self.chat(cluster.publicPort, key, id: "locked-\(round)", stream: round % 2 == 0),
                    // A new connection each: each event loop thread of the agent gets some.
                    { () -> HTTPClientRequest in
                        var health = HTTPClientRequest(url: "http://127.0.0.1:\(cluster.publicPort)/health")
                        health.headers.add(name: "connection", value: "close")
                        return health
                    }(),
                    { () -> HTTPClientRequest in
                        var models = HTTPClientRequest(url: "http://127.0.0.1:\(cluster.publicPort)/v1/models")
                        models.headers.add(name: "authorization", value: "Bearer \(key)")
                        models.headers.add(name: "connection", value: "close")
                        return models
                    }(),
                ].enumerated() {
                    let response = try await testClient.execute(request, timeout: .seconds(5))
                    _ = try await response.body.collect(upTo: 1 << 20)
                    #expect(response.status.code == 200, "round \(round), request \(index)")
                    if index == 0 { chats.insert(response.headers.first(name: "x-request-id") ?? "") }
                    answered += 1
                }
                try await Task.sleep(for: .milliseconds(500))
            }
            #expect(answered == 72)
            #expect(locker.isRunning, "the lock was held throughout")

            // The admin API still reads the ledger, journaled rows included.
            var usage = HTTPClientRequest(url: "http://127.0.0.1:\(cluster.adminPort)/v1/usage")
            usage.headers.add(name: "authorization", value: "Bearer \(cluster.token)")
            let listed = try JSONDecoder().decode([UsageRecord].self, from: Data(try await send(usage).body.utf8))
            #expect(listed.filter { chats.contains($0.requestID) }.count == 24)

            // Released: the rows reach agent.db.
            input.fileHandleForWriting.write(Data("COMMIT;\n".utf8))
            try input.fileHandleForWriting.close()
            locker.waitUntilExit()
            var stored = 0
            for _ in 0..<100 {
                stored = try Self.rows(cluster).filter { chats.contains($0.requestID) }.count
                if stored == 24 { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(stored == 24)
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit"), "needs prlimit (util-linux)"))
    func aDiskThatCannotTakeTheLedgerRefusesRequestsAndRecovers() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let (cluster, key) = try Self.start(dir)
            defer { cluster.stop() }
            let fine = try await send(Self.chat(cluster.publicPort, key, id: "fine", stream: false))
            #expect(fine.status == 200)
            let pid = cluster.agent?.process.processIdentifier ?? 0

            // A file-size limit of one byte: every write that grows a file fails (EFBIG), as on a full disk.
            func limit(_ value: String) throws {
                let prlimit = Process()
                prlimit.executableURL = URL(fileURLWithPath: "/usr/bin/prlimit")
                // The soft limit only: raising a hard limit again needs a privilege a container may lack.
                prlimit.arguments = ["--pid", "\(pid)", "--fsize=\(value):"]
                try prlimit.run()
                prlimit.waitUntilExit()
                #expect(prlimit.terminationStatus == 0)
            }
            try limit("1")
            // Answered while the write failed: the agent keeps its row to write later.
            let during = try await send(Self.chat(cluster.publicPort, key, id: "during", stream: false))
            #expect(during.status == 200)
            let refused = try await send(Self.chat(cluster.publicPort, key, id: "refused", stream: true))
            #expect(refused.status == 503, "\(refused)")
            let error = try JSONValue(json: refused.body)["error"]
            let message = error?["message"]?.stringValue ?? ""
            #expect(message.hasPrefix("the usage ledger cannot be written: ") && message.contains("check the disk at \(cluster.dir)/agent"),
                    "\(refused.body)")
            #expect(error?["type"]?.stringValue == "server_error" && error?["code"]?.stringValue == "ledger_unavailable")
            #expect(cluster.agent?.isRunning == true)
            #expect(try await send(HTTPClientRequest(url: "http://127.0.0.1:\(cluster.publicPort)/health")).status == 200)

            // The disk takes writes again: requests are served, and the kept row is written.
            try limit("unlimited")
            var status = 0
            for attempt in 0..<50 {
                status = try await send(Self.chat(cluster.publicPort, key, id: "after-\(attempt)", stream: false)).status
                if status == 200 { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(status == 200)
            cluster.agent?.stop()
            let ids = Set(try Self.rows(cluster).map(\.requestID))
            let wanted = [fine, during].compactMap { $0.headers.first(name: "x-request-id") }
            #expect(wanted.count == 2 && wanted.allSatisfy(ids.contains), "\(ids.sorted())")
            #expect(!ids.contains(refused.headers.first(name: "x-request-id") ?? "-"), "a refused request has no row")
        }
    }
}
