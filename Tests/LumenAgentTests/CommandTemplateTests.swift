import Foundation
import LumenManifest
import Testing
@testable import LumenAgent

/// A process command template is substituted in one pass and every value is quoted for `/bin/sh`.
@Suite struct CommandTemplateTests {
    func deployment(model: String, args: [String], command: String) throws -> Deployment {
        func quoted(_ text: String) -> String { "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
        let yaml = """
            apiVersion: lumen.ai/v1
            kind: Model
            metadata: {name: m}
            spec:
              deployment: {engine: process, model: \(quoted(model)), command: \(quoted(command)), args: [\(args.map(quoted).joined(separator: ", "))]}
              pricing: {inputPerMTok: 1, outputPerMTok: 2}
              quality: 0.5
              contextWindow: 8192
            """
        let manifest = try #require(try ManifestParser.parse(yaml, file: "m.yaml").first).manifest
        guard case .model(let spec) = manifest.spec, let deployment = spec.deployment else { throw CancellationError() }
        return deployment
    }

    /// Runs `command` with /bin/sh in `dir`; returns what it printed.
    func run(_ command: String, in dir: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.currentDirectoryURL = URL(fileURLWithPath: dir)
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: output, as: UTF8.self)
    }

    @Test func aModelNamedWithAPlaceholderStaysText() throws {
        let process = try deployment(model: "x{args}", args: ["--a", "b c"], command: "printf '%s\\n' {model} {args} # {port}")
        let command = NodeRuntime.command(process, model: "m", port: 9001, slots: [0], engine: "/bin/lumen-engine")
        #expect(command == #"printf '%s\n' 'x{args}' --a 'b c' # 9001"#)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lumen-template-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try run(command, in: dir) == "x{args}\n--a\nb c\n")
    }

    @Test func aValueThatTriesToEndItsQuotesRunsNothing() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lumen-template-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let payload = "'; touch \(dir)/pwned;'"
        let process = try deployment(model: payload + "{args}", args: [payload, "$(touch \(dir)/pwned2)"],
                                     command: "printf '%s\\n' {model} {args} {slot} --port {port}")
        let command = NodeRuntime.command(process, model: "m", port: 9001, slots: [1, 2], engine: "/bin/lumen-engine")
        let printed = try run(command, in: dir)
        #expect(printed == "\(payload){args}\n\(payload)\n$(touch \(dir)/pwned2)\n1,2\n--port\n9001\n", "\(command)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/pwned"), "the model or an arg ran a command: \(command)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/pwned2"), "an arg ran a command: \(command)")
    }

    @Test func substitutionIsOnePassLeftToRight() {
        let values = ["model": "'{port}'", "port": "9001", "args": "{model}"]
        #expect(NodeRuntime.substitute("{model} {args} {port}", values) == "'{port}' {model} 9001")
        // Unknown or unclosed braces stay as written.
        #expect(NodeRuntime.substitute("a {x} {{port} {port", values) == "a {x} {9001 {port")
    }
}
