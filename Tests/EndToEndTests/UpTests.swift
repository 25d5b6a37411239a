import AsyncHTTPClient
import Foundation
import LumenTestSupport
import NIOCore
import NIOHTTP1
import Testing

@Suite(.serialized) struct UpTests {
    @Test func upRunsAWorkingLumenAndLeavesNothingBehind() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            let up = ManagedProcess(lumenctlExecutable, [
                "up", "-f", root.appendingPathComponent("manifests/quickstart").path, "--home", dir + "/home",
                "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
            ])
            let key = try up.start(waitingFor: #"API key   (lmn_[A-Za-z0-9]+)"#)[0]
            let endpoint = up.output.compactMap { $0.firstMatch(of: /endpoint  http:\/\/127\.0\.0\.1:(\d+)\/v1/) }.first
            let port = Int(endpoint?.1 ?? "") ?? 0
            let children = try String(contentsOfFile: "/proc/\(up.process.processIdentifier)/task/\(up.process.processIdentifier)/children", encoding: .utf8)
                .split(separator: " ").compactMap { Int32($0) }
            #expect(children.count == 3, "an agent and two simulators")

            let answer = try await send(chatRequest(port: port, key: key, body: chatBody))
            #expect(answer.status == 200, "\(answer.body)")
            #expect(answer.headers.first(name: "x-lumen-model") == "sim-small")

            let chat = try LumenctlProcess(["chat", "--endpoint", "http://127.0.0.1:\(port)/v1", "Tell me about gateways"],
                                           home: dir + "/home", scratch: dir, environment: ["LUMEN_API_KEY": key])
            try chat.start()
            let chatResult = chat.wait()
            #expect(chatResult.exitCode == 0, "\(chatResult)")
            #expect(chatResult.output.count > 20)
            #expect(chatResult.error.contains("TTFT") && chatResult.error.contains("model sim-small via route auto") && chatResult.error.contains("$"))

            up.stop()
            #expect(up.process.terminationStatus == 0)
            for child in children {
                #expect(kill(child, 0) != 0, "process \(child) outlived lumenctl up")
            }
        }
    }
}
