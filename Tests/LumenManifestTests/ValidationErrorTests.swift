import LumenAPI
import LumenManifest
import Testing

/// Every error names file:line:column, the field path and what was expected.
@Suite struct ValidationErrorTests {
    func errors(_ yaml: String, file: String = "t.yaml") -> [String] {
        do {
            _ = try ManifestParser.parse(yaml, file: file)
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }

    let modelHeader = """
        apiVersion: lumen.ai/v1
        kind: Model
        metadata:
          name: m
        spec:

        """

    @Test func errorsComeInReadingOrder() {
        let yaml = """
            apiVersion: lumen.ai/v1
            kind: Route
            metadata:
              name: auto
            spec:
              candidates: [gpt-4o-mini, gpt-4.1]
              qualityBaar: 0.4
              budget: {maxCostPerRequest: $0.25}
              slo: {ttftP95: 800}
            """
        #expect(errors(yaml, file: "routes.yaml") == [
            #"routes.yaml:7:3: spec.qualityBaar: unknown field; did you mean "qualityBar"?"#,
            "routes.yaml:8:31: spec.budget.maxCostPerRequest: expected an amount in USD such as 0.15 or 2.50 (no sign or currency symbol), got $0.25",
            "routes.yaml:9:18: spec.slo.ttftP95: expected a duration such as 500ms, 2s, 10m or 1h, got 800",
        ])
    }

    @Test func unknownFieldSuggestsTheClosestName() {
        let yaml = """
            apiVersion: lumen.ai/v1
            kind: Route
            metadata:
              name: auto
            spec:
              candidates: [a]
              qualityBaar: 0.5
            """
        #expect(errors(yaml) == [#"t.yaml:7:3: spec.qualityBaar: unknown field; did you mean "qualityBar"?"#])
    }

    @Test func unknownFieldWithoutACloseNameListsTheKnownOnes() {
        let yaml = """
            apiVersion: lumen.ai/v1
            kind: Node
            metadata:
              name: n1
            spec:
              address: http://127.0.0.1:8080
              zzz: 1
            """
        #expect(errors(yaml) == ["t.yaml:7:3: spec.zzz: unknown field; known fields here: address, adminAddress, labels, slots"])
    }

    @Test func allErrorsOfADocumentAreReportedAtOnce() {
        let yaml = modelHeader + """
              provider: p
              pricing: {inputPerMTok: 1, outputPerMTok: -2}
              quality: 1.5
              contextWindow: -3
              capabilities: [tools, telepathy]
            """
        #expect(errors(yaml) == [
            "t.yaml:7:45: spec.pricing.outputPerMTok: expected an amount in USD such as 0.15 or 2.50 (no sign or currency symbol), got -2",
            "t.yaml:8:12: spec.quality: expected a number from 0 to 1, got 1.5",
            "t.yaml:9:18: spec.contextWindow: expected a token count from 1 to 100000000, got -3",
            "t.yaml:10:25: spec.capabilities[1]: expected one of tools, json, vision, embeddings, got telepathy",
        ])
    }

    @Test func missingRequiredFieldIsReportedAtItsMapping() {
        let yaml = modelHeader + """
              provider: p
              pricing: {inputPerMTok: 1, outputPerMTok: 2}
              contextWindow: 8192
            """
        #expect(errors(yaml) == ["t.yaml:6:3: spec.quality: required field is missing (expected a number from 0 to 1)"])
    }

    @Test func wrongTypesAreNamed() {
        let yaml = """
            apiVersion: lumen.ai/v1
            kind: Route
            metadata:
              name: auto
            spec:
              candidates: a
              strategy: cheapest
              qualityBar: "0.5"
              budget:
                daily: -5
              failover:
                stallTimeout: 5
                midStream: maybe
            """
        #expect(errors(yaml) == [
            "t.yaml:6:15: spec.candidates: expected a list, got a",
            "t.yaml:7:13: spec.strategy: expected one of cheapest-qualified, fastest, weighted, pinned, got cheapest",
            #"t.yaml:8:15: spec.qualityBar: expected a number from 0 to 1, got "0.5" (quoted)"#,
            "t.yaml:10:12: spec.budget.daily: expected an amount in USD such as 0.15 or 2.50 (no sign or currency symbol), got -5",
            "t.yaml:12:19: spec.failover.stallTimeout: expected a duration such as 500ms, 2s, 10m or 1h, got 5",
            "t.yaml:13:16: spec.failover.midStream: expected true or false, got maybe",
        ])
    }

    @Test func unknownApiVersionAndKind() {
        #expect(errors("apiVersion: lumen.ai/v2\nkind: Rout\nmetadata: {name: a}\nspec: {}\n") == [
            "t.yaml:1:13: apiVersion: expected apiVersion lumen.ai/v1, got lumen.ai/v2",
            #"t.yaml:2:7: kind: unknown kind "Rout"; did you mean "Route"? (expected one of Provider, Model, Route, ShadowTest, Node)"#,
        ])
    }

    @Test func badName() {
        let yaml = """
            apiVersion: lumen.ai/v1
            kind: Node
            metadata:
              name: Gpu_A!
            spec:
              address: http://127.0.0.1:8080
            """
        #expect(errors(yaml) == [
            "t.yaml:4:9: metadata.name: expected a name of 1–63 characters: lowercase letters, digits, '-', '.' or '_', starting and ending with a letter or digit, got Gpu_A!",
        ])
    }

    @Test func duplicateKeyPointsAtTheRepeat() {
        let yaml = """
            apiVersion: lumen.ai/v1
            kind: Node
            metadata:
              name: a
            spec:
              address: http://127.0.0.1:8080
              slots: 2
              address: http://127.0.0.1:8081
            """
        #expect(errors(yaml) == [#"t.yaml:8:3: duplicate key "address"; each field may appear once in a mapping"#])
    }

    @Test func documentThatIsNotAMapping() {
        #expect(errors("- just\n- a list\n") == ["t.yaml:1:1: expected a mapping of fields (key: value), got a list"])
    }

    @Test func missingTopLevelFields() {
        #expect(errors("apiVersion: lumen.ai/v1\nkind: Route\n") == [
            "t.yaml:1:1: metadata: required field is missing (expected a mapping with name)",
            "t.yaml:1:1: spec: required field is missing (expected a mapping of the kind's fields)",
        ])
    }

    @Test func trafficMustMatchCandidatesAndAddUpTo100() {
        let yaml = """
            apiVersion: lumen.ai/v1
            kind: Route
            metadata:
              name: split
            spec:
              candidates: [a, b]
              strategy: weighted
              traffic: {a: 70, c: 20}
            """
        #expect(errors(yaml) == [
            #"t.yaml:8:12: spec.traffic.c: "c" is not one of this route's candidates; add it to candidates or remove it here"#,
            "t.yaml:8:12: spec.traffic: traffic percentages must add up to 100, they add up to 90",
        ])
    }

    @Test func weightedNeedsTrafficAndCandidatesAreUnique() {
        let yaml = """
            apiVersion: lumen.ai/v1
            kind: Route
            metadata:
              name: split
            spec:
              candidates: [a, a]
              strategy: weighted
            """
        #expect(errors(yaml) == [
            "t.yaml:6:3: spec.traffic: required field is missing (strategy weighted needs traffic percentages per candidate)",
            #"t.yaml:6:19: spec.candidates[1]: model "a" is listed twice; list each candidate once"#,
        ])
    }

    @Test func credentialsNeverGoInHeaders() {
        let yaml = """
            apiVersion: lumen.ai/v1
            kind: Provider
            metadata:
              name: p
            spec:
              baseURL: ftp://example.com
              apiKeyEnv: 1BAD
              headers:
                Authorization: Bearer sk-secret
            """
        let found = errors(yaml)
        #expect(found == [
            "t.yaml:6:12: spec.baseURL: expected an http:// or https:// URL such as https://api.example.com/v1, got ftp://example.com",
            "t.yaml:7:14: spec.apiKeyEnv: expected an environment variable name such as OPENAI_API_KEY (letters, digits, '_'), got 1BAD",
            "t.yaml:9:5: spec.headers.Authorization: credentials must not be written in a manifest; put the key in an environment variable and name it in apiKeyEnv",
        ])
        #expect(!found.joined().contains("sk-secret"))
    }

    @Test func modelNeedsExactlyOneSource() {
        let both = modelHeader + """
              provider: p
              deployment: {endpoints: [http://127.0.0.1:9000/v1]}
              pricing: {inputPerMTok: 1, outputPerMTok: 2}
              quality: 0.5
              contextWindow: 8192
            """
        #expect(errors(both) == [
            "t.yaml:7:15: spec.deployment: set either provider (a remote API) or deployment (replicas this fleet runs), not both",
        ])
        let neither = modelHeader + """
              pricing: {inputPerMTok: 1, outputPerMTok: 2}
              quality: 0.5
              contextWindow: 8192
            """
        #expect(errors(neither) == [
            "t.yaml:6:3: spec: a model needs either provider (with upstreamModel) or deployment (endpoints or an engine)",
        ])
    }

    @Test func deploymentRules() {
        let yaml = modelHeader + """
              deployment:
                engine: process
                command: vllm serve {model} --gpu {gpu}
                replicas: {min: 3, max: 2}
                speculative: {method: draft}
              pricing: {inputPerMTok: 1, outputPerMTok: 2}
              quality: 0.5
              contextWindow: 8192
            """
        #expect(errors(yaml) == [
            "t.yaml:8:14: spec.deployment.command: unknown placeholder {gpu}; use {port}, {model}, {slot}, {args}",
            "t.yaml:9:21: spec.deployment.replicas.min: min (3) cannot exceed max (2)",
            "t.yaml:10:18: spec.deployment.speculative.draftModel: required field is missing (method draft needs a draftModel file)",
        ])
    }

    @Test func tabIndentationIsExplained() {
        let found = errors("apiVersion: lumen.ai/v1\nkind: Node\nmetadata:\n\tname: a\nspec:\n  address: http://a:1\n")
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("t.yaml:4:") == true)
        #expect(found.first?.contains("a tab is used for indentation; YAML allows only spaces") == true)
    }

    @Test func malformedYAMLNamesThePosition() {
        let found = errors("apiVersion: lumen.ai/v1\nkind: Route\nspec: {candidates: [a, b}\n")
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("t.yaml:3:") == true)
        #expect(found.first?.contains("malformed YAML") == true)
    }

    @Test func emptyFileHasNoManifests() {
        #expect(errors("") == ["t.yaml: no manifests in this file; it must hold at least one document with apiVersion, kind, metadata and spec"])
        #expect(errors("# only a comment\n---\n") == errors(""))
    }

    @Test func lineEndingsOfEveryKindKeepPositions() {
        let lines = ["apiVersion: lumen.ai/v1", "kind: Node", "metadata:", "  name: n1", "spec:",
                     "  address: http://a:1", "  slots: 2", "  slots: 3", ""]
        for separator in ["\r", "\r\n", "\n"] {
            #expect(errors(lines.joined(separator: separator)) == [
                #"t.yaml:8:3: duplicate key "slots"; each field may appear once in a mapping"#,
            ], "separator \(separator.debugDescription)")
        }
        let tabbed = ["apiVersion: lumen.ai/v1", "kind: Node", "metadata:", "\tname: a"].joined(separator: "\r")
        #expect(errors(tabbed).first?.contains("a tab is used for indentation") == true)
    }

    @Test func mergeKeysSupplyDefaults() throws {
        let yaml = """
            apiVersion: lumen.ai/v1
            kind: Route
            metadata: {name: a}
            spec:
              candidates: [x]
              failover: &defaults {maxAttempts: 2, stallTimeout: 3s}
            ---
            apiVersion: lumen.ai/v1
            kind: Route
            metadata: {name: b}
            spec:
              candidates: [y]
              failover:
                <<: *defaults
                maxAttempts: 5
            """
        let documents = try ManifestParser.parse(yaml, file: "t.yaml")
        guard case .route(let route) = documents[1].manifest.spec else { Issue.record("not a route"); return }
        #expect(route.failover.maxAttempts == 5)
        #expect(route.failover.stallTimeout == LumenDuration.seconds(3))
        #expect(errors("apiVersion: lumen.ai/v1\nkind: Node\nmetadata: {name: a, <<: 3}\nspec: {address: http://a:1}\n") == [
            #"t.yaml:3:21: metadata."<<": a merge key (<<) takes a mapping or a list of mappings"#,
        ])
    }

    @Test func labelsAndKeysRejectWhatWouldBreakOutput() {
        let yaml = """
            apiVersion: lumen.ai/v1
            kind: Node
            metadata:
              name: n
              labels: {team: "a\\u001B[31mred", long: \(String(repeating: "x", count: 64)), [a]: b}
            spec:
              address: http://a:1
            """
        #expect(errors(yaml) == [
            #"t.yaml:5:18: metadata.labels.team: expected a label value of at most 63 characters, without control characters or line breaks, got "a\#u{1B}[31mred" (quoted)"#,
            "t.yaml:5:42: metadata.labels.long: expected a label value of at most 63 characters, without control characters or line breaks, got xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…",
            "t.yaml:5:108: metadata.labels: expected a plain field name as the key, got a list",
        ])
    }

    @Test func deploymentNeedsASource() {
        let yaml = modelHeader + """
              deployment: {continuation: native}
              pricing: {inputPerMTok: 1, outputPerMTok: 2}
              quality: 0.5
              contextWindow: 8192
            """
        #expect(errors(yaml) == [
            "t.yaml:6:15: spec.deployment: a deployment needs endpoints (a list of URLs) or engine (builtin, process or sim)",
        ])
    }

    @Test func bothEndpointsAndEngineIsOneError() {
        let yaml = modelHeader + """
              deployment: {endpoints: [http://a:1/v1], engine: sim, slots: 2}
              pricing: {inputPerMTok: 1, outputPerMTok: 2}
              quality: 0.5
              contextWindow: 8192
            """
        #expect(errors(yaml) == [
            "t.yaml:6:52: spec.deployment.engine: set either endpoints (replicas already running) or engine (replicas the agent starts), not both",
        ])
    }
}
