public import ArgumentParser
import Foundation
import Hummingbird
import LumenAPI
import Logging

/// `lumen-engine`: Lumen's inference worker: serves a GGUF model, or the simulator.
public struct EngineCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "lumen-engine",
        abstract: "Lumen's inference worker.",
        version: "0.1.0",
        subcommands: [Serve.self, Generate.self, TinyModelCommand.self]
    )

    public init() {}

    /// Parses the arguments and runs the command on the async path; returns only on error or exit.
    public static func runFromCommandLine() async {
        do {
            var command = try parseAsRoot()
            // Dispatch by type: calling run() on an existential picks the synchronous requirement.
            if let serve = command as? Serve {
                try await serve.serve()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve an OpenAI-compatible API.",
        discussion: "With --model FILE.gguf it runs that llama-family model (llama, qwen2; F32, F16, Q8_0 weights) on the CPU with continuous batching, a prefix cache and, with --draft-model or --prompt-lookup, speculative decoding. With --simulate it serves deterministic text with scripted timing and faults: the upstream of Lumen's tests and benchmarks. The text is a pure function of the conversation, and a partial assistant message sent with continue_final_message: true (add_generation_prompt: false) is continued exactly where it stops."
    )

    @Flag(help: "Serve the simulator instead of a model.")
    var simulate = false
    @Option(help: ArgumentHelp("The GGUF model file to serve; tiny:llama or tiny:qwen2 serves a small seeded model lumen-engine makes (random weights, a real tokenizer), to try Lumen without downloading one.", valueName: "file"))
    var model: String?
    @Option(help: ArgumentHelp("The chat format, when the model's own template is not one lumen-engine recognises: llama3, chatml or mistral.", valueName: "name"))
    var chatTemplate: String?
    @Option(help: "Seconds without a new token, while a request runs, after which /health reports the engine wedged.")
    var wedgeTimeout = 60.0
    @Option(help: "Threads for the model's arithmetic (default: every core).")
    var threads: Int?
    @Option(help: "Tokens one forward pass may carry: running sequences' next tokens, then chunks of new prompts.")
    var maxBatchTokens = 512
    @Option(help: "Key/value positions the cache holds across all sequences (default: up to 16 contexts within 1 GiB, at least 4,096 or one context).")
    var kvCacheTokens: Int?
    @Flag(help: "Compute every prompt in full instead of reusing cached prefixes.")
    var noPrefixCache = false
    @Option(help: ArgumentHelp("A smaller GGUF model with the same vocabulary that proposes tokens for the model to verify.", valueName: "file"))
    var draftModel: String?
    @Flag(help: "Propose tokens by finding the last few tokens earlier in the sequence (speculative decoding without a draft model).")
    var promptLookup = false
    @Option(help: "Tokens proposed per step by --draft-model or --prompt-lookup.")
    var speculativeTokens = 4
    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"
    @Option(help: "Port to listen on (0 picks a free one; the chosen port is printed).")
    var port = 8000
    @Option(help: "The model id to report.")
    var modelName: String?
    @Option(help: "Time to first token, e.g. 20ms.")
    var ttft = "20ms"
    @Option(help: "Time between tokens, e.g. 5ms.")
    var itl = "5ms"
    @Option(help: "Requests served at once (sequences generated together, for a model); more wait in a queue.")
    var maxConcurrency = 64
    @Option(help: "Break each stream after N tokens, as --fault says.")
    var failAfter: Int?
    @Option(help: "How a stream breaks at --fail-after: reset (the connection is cut), error (an error event), malformed (an event that is not JSON) or no-done (the body ends without [DONE]).")
    var fault = "reset"
    @Option(help: "Cut each stream's connection after N bytes of its body, even inside an event.")
    var failAfterBytes: Int?
    @Option(help: "Stop sending after N tokens, keeping the connection open.")
    var stallAfter: Int?
    @Option(help: "Answer every generation request with this HTTP status.")
    var status: Int?
    @Option(help: "Share of requests (0-1) answered with 500.")
    var errorRate = 0.0
    @Option(help: "Seed for --error-rate draws.")
    var seed: UInt64 = 0
    @Option(help: "Model a prefix cache of N blocks of 16 prompt words (0: none); usage reports cached tokens.")
    var prefixCache = 0
    @Option(help: "Microseconds of prefill per prompt token not in the prefix cache, added to the first token's wait.")
    var prefillMicroseconds = 0
    @Option(help: "Act as if loading weights for this long after start, e.g. 30s: /health and generation requests answer 503 until then.")
    var loadTime = "0s"

    func validate() throws {
        guard simulate != (model != nil) else {
            throw ValidationError("Give either --model FILE.gguf (a model to run) or --simulate (the simulator).")
        }
        if let chatTemplate, ChatTemplate(rawValue: chatTemplate) == nil {
            throw ValidationError("--chat-template takes " + ChatTemplate.allCases.map(\.rawValue).joined(separator: ", ") + ".")
        }
        guard LumenDuration(parsing: ttft) != nil, LumenDuration(parsing: itl) != nil else {
            throw ValidationError("--ttft and --itl take durations such as 20ms, 1s.")
        }
        guard LumenDuration(parsing: loadTime) != nil else {
            throw ValidationError("--load-time takes a duration such as 0s, 500ms, 30s.")
        }
        guard (0...1).contains(errorRate) else { throw ValidationError("--error-rate is a share from 0 to 1.") }
        guard maxConcurrency >= 1 else { throw ValidationError("--max-concurrency must be at least 1.") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1.") }
        guard maxBatchTokens >= 1, speculativeTokens >= 1 else { throw ValidationError("--max-batch-tokens and --speculative-tokens must be at least 1.") }
        if let kvCacheTokens, kvCacheTokens < 16 { throw ValidationError("--kv-cache-tokens must be at least 16.") }
        guard draftModel == nil || !promptLookup else { throw ValidationError("Give --draft-model or --prompt-lookup, not both.") }
        if let status, !(100...599).contains(status) { throw ValidationError("--status must be an HTTP status code.") }
        if let failAfter, failAfter < 0 { throw ValidationError("--fail-after must be 0 or more.") }
        if let stallAfter, stallAfter < 0 { throw ValidationError("--stall-after must be 0 or more.") }
        if let failAfterBytes, failAfterBytes < 0 { throw ValidationError("--fail-after-bytes must be 0 or more.") }
        if prefixCache < 0 || prefillMicroseconds < 0 { throw ValidationError("--prefix-cache and --prefill-microseconds must be 0 or more.") }
        guard StreamFault(rawValue: fault) != nil else {
            throw ValidationError("--fault takes one of: \(StreamFault.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
    }

    mutating func run() async throws {
        try await serve()
    }

    func serve() async throws {
        if let model {
            try await serveModel(model)
            return
        }
        var options = SimulatorOptions()
        options.modelName = modelName ?? "sim"
        options.timeToFirstToken = LumenDuration(parsing: ttft)?.duration ?? options.timeToFirstToken
        options.interTokenLatency = LumenDuration(parsing: itl)?.duration ?? options.interTokenLatency
        options.maxConcurrency = maxConcurrency
        options.failAfter = failAfter
        options.fault = StreamFault(rawValue: fault) ?? .reset
        options.failAfterBytes = failAfterBytes
        options.stallAfter = stallAfter
        options.status = status
        options.errorRate = errorRate
        options.seed = seed
        options.prefixCacheBlocks = prefixCache
        options.prefillPerToken = .microseconds(prefillMicroseconds)
        options.loadTime = LumenDuration(parsing: loadTime)?.duration ?? .zero
        var logger = Logger(label: "lumen.simulator")
        logger.logLevel = .warning
        let host = self.host
        let app = SimulatorServer(options: options).application(host: host, port: port, logger: logger) { port in
            // Written unbuffered: a supervisor waits for this line to learn the port.
            FileHandle.standardOutput.write(Data("lumen-engine simulator listening on http://\(host):\(port)/v1\n".utf8))
        }
        try await app.runService()
    }

    /// The file for `--model`: `tiny:ARCHITECTURE` is written to a temporary file first.
    static func materialise(_ path: String) throws -> String {
        guard path.hasPrefix("tiny:") else { return path }
        let name = String(path.dropFirst(5))
        guard let architecture = TinyModel.Architecture(rawValue: name) else {
            throw GGUFError("--model \(path) names no small model; use tiny:llama or tiny:qwen2, or a GGUF file")
        }
        var tiny = TinyModel()
        tiny.architecture = architecture
        let file = NSTemporaryDirectory() + "lumen-engine-tiny-\(name)-\(getpid()).gguf"
        try tiny.writer().write(to: file)
        return file
    }

    /// Runs a GGUF model; a file it cannot run is reported (exit 1) before anything listens.
    func serveModel(_ path: String) async throws {
        var server: EngineServer
        do {
            let materialised = try Self.materialise(path)
            // A written tiny model is read into memory at once; its file is not needed after.
            defer { if materialised != path { try? FileManager.default.removeItem(atPath: materialised) } }
            let file = try GGUFFile(path: materialised)
            let name = modelName ?? ((path as NSString).lastPathComponent as NSString).deletingPathExtension
            var options = EngineOptions()
            options.threads = threads ?? options.threads
            options.maxBatchTokens = maxBatchTokens
            options.maxRunning = maxConcurrency
            options.kvCacheTokens = kvCacheTokens
            options.prefixCaching = !noPrefixCache
            options.promptLookup = promptLookup
            options.speculativeTokens = speculativeTokens
            server = try EngineServer(file: file, modelName: name, template: chatTemplate.flatMap(ChatTemplate.init(rawValue:)),
                                      draft: try draftModel.map { try GGUFFile(path: $0) }, options: options)
            server.wedgeTimeout = wedgeTimeout
        } catch {
            FileHandle.standardError.write(Data("lumen-engine: \(error)\n".utf8))
            throw ExitCode(1)
        }
        var logger = Logger(label: "lumen.engine")
        logger.logLevel = .warning
        let host = self.host, name = server.modelName
        let app = server.application(host: host, port: port, logger: logger) { port in
            FileHandle.standardOutput.write(Data("lumen-engine serving \(name) on http://\(host):\(port)/v1\n".utf8))
        }
        defer { server.engine.stop() }
        try await app.runService()
    }
}
