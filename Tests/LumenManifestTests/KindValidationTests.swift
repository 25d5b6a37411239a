import LumenManifest
import Testing

/// The remaining validation paths of every kind, each with its exact location and message.
@Suite struct KindValidationTests {
    func errors(_ yaml: String, file: String) -> [String] {
        do {
            _ = try ManifestParser.parse(yaml, file: file)
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }

    @Test func endpointsErrors() {
        let yaml = """
            apiVersion: lumen.ai/v1
            kind: Model
            metadata: {name: m}
            spec:
              deployment:
                endpoints: [http://127.0.0.1:9000/v1, "not a url"]
                replicas: {min: 1}
                slots: 2
              upstreamModel: x
              pricing: {inputPerMTok: 1, outputPerMTok: 2}
              quality: 0.5
              contextWindow: 8192
              maxOutputTokens: 9000
            """
        #expect(errors(yaml, file: "endpoints.yaml") == [
            #"endpoints.yaml:6:43: spec.deployment.endpoints[1]: expected an http:// or https:// URL such as https://api.example.com/v1, got "not a url" (quoted)"#,
            #"endpoints.yaml:7:15: spec.deployment.replicas: replicas applies only to engine deployments; endpoints are replicas that are already running"#,
            #"endpoints.yaml:8:12: spec.deployment.slots: slots applies only to engine deployments; endpoints are replicas that are already running"#,
            #"endpoints.yaml:9:18: spec.upstreamModel: upstreamModel applies only to a provider's model; remove it or set provider"#,
            #"endpoints.yaml:13:20: spec.maxOutputTokens: maxOutputTokens (9000) cannot exceed contextWindow (8192)"#,
        ])
    }

    @Test func engineErrors() {
        let yaml = """
            apiVersion: lumen.ai/v1
            kind: Model
            metadata: {name: m}
            spec:
              deployment:
                engine: builtin
                command: run {port}
                speculative: {method: ngram, draftModel: d.gguf, tokens: 40}
              pricing: {inputPerMTok: 1, outputPerMTok: 2}
              quality: 0.5
              contextWindow: 8192
            ---
            apiVersion: lumen.ai/v1
            kind: Model
            metadata: {name: m2}
            spec:
              deployment: {engine: process, command: "serve --port 8000 {model"}
              pricing: {inputPerMTok: 1, outputPerMTok: 2}
              quality: 0.5
              contextWindow: 8192
            ---
            apiVersion: lumen.ai/v1
            kind: Model
            metadata: {name: m3}
            spec:
              deployment: {engine: process, command: "serve {model}"}
              pricing: {inputPerMTok: 1, outputPerMTok: 2}
              quality: 0.5
              contextWindow: 8192
            """
        #expect(errors(yaml, file: "engine.yaml") == [
            #"engine.yaml:6:5: spec.deployment.model: required field is missing (expected the GGUF file engine builtin serves)"#,
            #"engine.yaml:7:14: spec.deployment.command: command applies only to engine process; engine builtin is started by the agent itself"#,
            #"engine.yaml:8:46: spec.deployment.speculative.draftModel: method ngram uses no draft model; remove draftModel or use method draft"#,
            #"engine.yaml:8:62: spec.deployment.speculative.tokens: expected an integer from 1 to 16, got 40"#,
            #"engine.yaml:17:42: spec.deployment.command: expected a command template whose braces close, e.g. {port}, got "serve --port 8000 {model" (quoted)"#,
            #"engine.yaml:26:42: spec.deployment.command: the command must contain {port} so the agent can start it on a port it chooses"#,
        ])
    }

    @Test func kindErrors() {
        let yaml = """
            apiVersion: lumen.ai/v1
            kind: Gateway
            metadata: {name: g}
            spec: {}
            status: {}
            """
        #expect(errors(yaml, file: "kind.yaml") == [
            #"kind.yaml:2:7: kind: unknown kind "Gateway"; expected one of Provider, Model, Route, ShadowTest, Node"#,
            #"kind.yaml:5:1: status: unknown field; known fields here: apiVersion, kind, metadata, spec"#,
        ])
    }

    @Test func nodeErrors() {
        let yaml = """
            apiVersion: lumen.ai/v1
            kind: Node
            metadata:
              name: n
              labels: {"bad key!": x}
            spec:
              slots: 9999
            """
        #expect(errors(yaml, file: "node.yaml") == [
            #"node.yaml:5:12: metadata.labels."bad key!": expected a label key (letters, digits, '-', '.', '_', '/'; at most 253 characters) as the key"#,
            #"node.yaml:7:3: spec.address: required field is missing (expected the agent's public URL, e.g. http://10.0.0.5:8080)"#,
            #"node.yaml:7:10: spec.slots: expected an integer from 0 to 4096, got 9999"#,
        ])
    }

    @Test func providerErrors() {
        let yaml = """
            apiVersion: lumen.ai/v1
            kind: Provider
            metadata: {name: p}
            spec:
              baseURL: https://x.example/v1
              apiKeyEnv: KEY
              apiKeyFile: /etc/key
              timeouts: {connect: 0s, read: 5s}
              maxConcurrency: 0
              continuation: resume
            """
        #expect(errors(yaml, file: "provider.yaml") == [
            #"provider.yaml:7:15: spec.apiKeyFile: set apiKeyEnv or apiKeyFile, not both"#,
            #"provider.yaml:8:23: spec.timeouts.connect: expected a duration greater than zero, got 0s"#,
            #"provider.yaml:8:27: spec.timeouts.read: unknown field; known fields here: connect, firstToken, idle"#,
            #"provider.yaml:9:19: spec.maxConcurrency: expected an integer from 1 to 1000000, got 0"#,
            #"provider.yaml:10:17: spec.continuation: expected one of native, native-tools, prefill, none, got resume"#,
        ])
    }

    @Test func routeErrors() {
        let yaml = """
            apiVersion: lumen.ai/v1
            kind: Route
            metadata: {}
            spec:
              candidates: []
              traffic: {a: 100}
              scorer: {weights: {"1bad": 1, code: 5000}}
              budget: {daily: 10, monthly: 5, maxCostPerRequest: 0}
              slo: {minTokensPerSecond: 0}
              failover: {maxAttempts: 11}
              retention: forever
            """
        #expect(errors(yaml, file: "route.yaml") == [
            #"route.yaml:3:11: metadata.name: required field is missing (expected a name of 1–63 characters: lowercase letters, digits, '-', '.' or '_', starting and ending with a letter or digit)"#,
            #"route.yaml:5:15: spec.candidates: expected at least one model name"#,
            #"route.yaml:6:12: spec.traffic.a: "a" is not one of this route's candidates; add it to candidates or remove it here"#,
            #"route.yaml:6:12: spec.traffic: traffic applies only to strategy weighted; set strategy: weighted or remove traffic"#,
            #"route.yaml:7:22: spec.scorer.weights.1bad: expected one of the scorer's features (length, code, math, reasoning, steps, constraints, questions, simple, depth, structured, language) as the key"#,
            #"route.yaml:7:39: spec.scorer.weights.code: expected a number from -1000 to 1000, got 5000"#,
            #"route.yaml:8:11: spec.budget: the daily budget (10) is larger than the monthly budget (5)"#,
            #"route.yaml:8:54: spec.budget.maxCostPerRequest: expected an amount in USD greater than zero, got 0"#,
            #"route.yaml:9:29: spec.slo.minTokensPerSecond: expected a positive number of tokens per second, got 0"#,
            #"route.yaml:10:27: spec.failover.maxAttempts: expected an integer from 1 to 10, got 11"#,
            #"route.yaml:11:14: spec.retention: expected one of standard, zero, got forever"#,
        ])
    }

    @Test func shadowErrors() {
        let yaml = """
            apiVersion: lumen.ai/v1
            kind: ShadowTest
            metadata: {name: s}
            spec:
              route: auto
              candidate: Big
              sampleRate: 0
              until: next week
              thresholds: {maxTtftP95Ratio: 0, minAgreement: 2}
            """
        #expect(errors(yaml, file: "shadow.yaml") == [
            #"shadow.yaml:6:14: spec.candidate: expected a name of 1–63 characters: lowercase letters, digits, '-', '.' or '_', starting and ending with a letter or digit, got Big"#,
            #"shadow.yaml:7:15: spec.sampleRate: expected a share greater than 0 (a sample rate of 0 mirrors nothing), got 0"#,
            #"shadow.yaml:8:10: spec.until: expected a time such as 2026-12-01T00:00:00Z or a date such as 2026-12-01, got next week"#,
            #"shadow.yaml:9:33: spec.thresholds.maxTtftP95Ratio: expected a ratio such as 1.2 (candidate ÷ primary), got 0"#,
            #"shadow.yaml:9:50: spec.thresholds.minAgreement: expected a number from 0 to 1, got 2"#,
        ])
    }
}
