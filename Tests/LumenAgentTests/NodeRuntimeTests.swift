import LumenManifest
import Testing
@testable import LumenAgent

@Suite struct ReplicaIdentityTests {
    func deployment(_ fields: String) throws -> Deployment {
        let yaml = """
            apiVersion: lumen.ai/v1
            kind: Model
            metadata: {name: m}
            spec:
              deployment: {\(fields)}
              pricing: {inputPerMTok: 1, outputPerMTok: 2}
              quality: 0.5
              contextWindow: 8192
            """
        let manifest = try #require(try ManifestParser.parse(yaml, file: "m.yaml").first).manifest
        guard case .model(let model) = manifest.spec, let deployment = model.deployment else { throw CancellationError() }
        return deployment
    }

    @Test func onlyWhatTheProcessRunsReplacesReplicas() throws {
        let running = try deployment(#"engine: sim, args: ["--itl", "5ms"], replicas: {min: 1, max: 2}"#)
        // Counts, idle time, load target, priority and placement rescale; they do not replace.
        #expect(NodeRuntime.sameProcess(try deployment(#"engine: sim, args: ["--itl", "5ms"], replicas: {min: 0, max: 8, warm: 2}, targetInFlight: 3, scaleToZeroAfter: 1m, priority: 5, nodes: {pool: a}"#), running))
        #expect(!NodeRuntime.sameProcess(try deployment(#"engine: sim, args: ["--itl", "6ms"], replicas: {min: 1, max: 2}"#), running))
        #expect(!NodeRuntime.sameProcess(try deployment(#"engine: process, command: "serve --port {port}", replicas: {min: 1, max: 2}"#), running))
        #expect(!NodeRuntime.sameProcess(nil, running))
    }

    @Test func commandsQuoteWhatTheySubstitute() throws {
        let process = try deployment(#"engine: process, model: "/models/my model.gguf", command: "CUDA_VISIBLE_DEVICES={slot} llama-server -m {model} --port {port} {args}", args: ["--ctx-size", "4096", "it's"]"#)
        #expect(NodeRuntime.command(process, model: "m", port: 9001, slots: [2, 3], engine: "/bin/lumen-engine")
            == #"CUDA_VISIBLE_DEVICES=2,3 llama-server -m '/models/my model.gguf' --port 9001 --ctx-size 4096 'it'\''s'"#)
        let sim = try deployment(#"engine: sim, args: ["--ttft", "30ms"]"#)
        #expect(NodeRuntime.command(sim, model: "small", port: 9002, slots: [0], engine: "/opt/lumen/lumen-engine")
            == "exec /opt/lumen/lumen-engine serve --simulate --host 127.0.0.1 --port 9002 --model-name small --ttft 30ms")
    }
}
