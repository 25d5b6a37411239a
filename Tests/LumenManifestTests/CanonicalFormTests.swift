import LumenAPI
import Foundation
import LumenManifest
import LumenTestSupport
import Testing

@Suite struct CanonicalFormTests {
    @Test func defaultsAreFilledInAndOrderIsStable() throws {
        let yaml = """
            kind: Route
            spec:
              qualityBar: 0.25
              candidates: [b, a]
            metadata: {name: auto}
            apiVersion: lumen.ai/v1
            """
        let manifest = try #require(try ManifestParser.parse(yaml, file: "r.yaml").first).manifest
        #expect(manifest.canonicalYAML == """
            apiVersion: lumen.ai/v1
            kind: Route
            metadata:
              name: auto
            spec:
              candidates:
              - b
              - a
              strategy: cheapest-qualified
              qualityBar: 0.25
              onNoCandidate: best-effort
              failover:
                maxAttempts: 3
                stallTimeout: 10s
                midStream: true
              retention: standard

            """)
    }

    @Test func canonicalYAMLParsesBackToTheSameManifest() throws {
        for document in try ManifestParser.parse(Fixtures.minimal + Self.everyKind, file: "all.yaml") {
            let again = try #require(try ManifestParser.parse(document.manifest.canonicalYAML, file: "again.yaml").first)
            #expect(again.manifest == document.manifest)
            #expect(try Manifest(canonicalJSON: document.manifest.canonicalJSON) == document.manifest)
            #expect(try ManifestValue(json: document.manifest.canonicalJSON) == document.manifest.canonicalValue)
        }
    }

    @Test func moneyStaysExact() throws {
        let yaml = Fixtures.minimal.replacingOccurrences(of: "inputPerMTok: 0.15", with: "inputPerMTok: 0.1000000000000000055511")
        let model = try ManifestParser.parse(yaml, file: "m.yaml")[1].manifest
        #expect(model.canonicalJSON.contains("\"inputPerMTok\":0.1000000000000000055511"))
        #expect(model.canonicalJSON.contains("\"cachedInputPerMTok\":0.1000000000000000055511"))
    }

    @Test func storedJSONParsesBackWithOrderAndEscapes() throws {
        let value = ManifestValue.map([
            .init("z", .string("quote \" backslash \\ tab \t é 🚀 \u{01}")), .init("a", .number("0.1000000000000000055511")),
            .init("list", .list([.bool(true), .null, .map([])])),
        ])
        #expect(try ManifestValue(json: value.json(pretty: false)) == value)
        #expect(try ManifestValue(json: value.json()) == value)
        #expect(throws: ManifestValue.JSONSyntaxError.self) { try ManifestValue(json: "{\"a\": }") }
        #expect(throws: ManifestValue.JSONSyntaxError.self) { try ManifestValue(json: "[1, 2") }
    }

    @Test func durationsParseAndPrintCanonically() {
        #expect(LumenDuration(parsing: "500ms")?.milliseconds == 500)
        #expect(LumenDuration(parsing: "1m30s")?.milliseconds == 90_000)
        #expect(LumenDuration(parsing: "1h2m3s4ms")?.milliseconds == 3_723_004)
        #expect(LumenDuration(parsing: "90s")?.description == "90s")
        #expect(LumenDuration(parsing: "120m")?.description == "2h")
        #expect(LumenDuration(parsing: "1500ms")?.description == "1500ms")
        for bad in ["", "5", "2 s", "-1s", "1d", "s", "1.5s", "99999999999999999999h", "1s1s", "30s1h", "5ms1s"] {
            #expect(LumenDuration(parsing: bad) == nil, "\(bad) should not parse")
        }
    }

    @Test func yamlStringsThatWouldBeMisreadAreQuoted() {
        let value = ManifestValue.map([
            .init("a", .string("true")), .init("b", .string("12")), .init("c", .string("x: y")),
            .init("d", .string("-")), .init("e", .string("plain-text")), .init("f", .string("line\nbreak")),
            .init("g", .list([])), .init("h", .string("1:30")),
        ])
        #expect(value.yaml() == """
            a: "true"
            b: "12"
            c: "x: y"
            d: "-"
            e: plain-text
            f: "line\\nbreak"
            g: []
            h: "1:30"

            """)
    }

    static let everyKind = """
        ---
        apiVersion: lumen.ai/v1
        kind: Model
        metadata: {name: local, labels: {team: ml}}
        spec:
          deployment:
            engine: process
            command: vllm serve {model} --port {port} {args}
            model: /models/llama
            args: ["--max-model-len", "8192"]
            replicas: {min: 0, max: 4, warm: 1}
            speculative: {method: ngram, tokens: 5}
            nodes: {gpu: h100}
          pricing: {inputPerMTok: 0.05, outputPerMTok: 0.1}
          quality: 0.5
          contextWindow: 8192
          capabilities: [json]
        ---
        apiVersion: lumen.ai/v1
        kind: Route
        metadata: {name: split}
        spec:
          candidates: [local, gpt-4o-mini]
          strategy: weighted
          traffic: {local: 25, gpt-4o-mini: 75}
          scorer: {weights: {length: 0.5, code: 1.25}, bias: -0.5}
          budget: {maxCostPerRequest: 0.02, daily: 10, monthly: 100}
          slo: {ttftP95: 1s, minTokensPerSecond: 20}
          failover: {hedgeAfter: 300ms}
          retention: zero
        ---
        apiVersion: lumen.ai/v1
        kind: ShadowTest
        metadata: {name: st}
        spec: {route: split, candidate: local, sampleRate: 0.5, until: 2026-12-01, thresholds: {maxCostRatio: 2}}
        ---
        apiVersion: lumen.ai/v1
        kind: Node
        metadata: {name: n1}
        spec: {address: "http://127.0.0.1:8080", labels: {gpu: h100}, slots: 4}
        """
}
