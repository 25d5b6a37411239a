/// Manifest text used by tests and benchmarks.
public enum Fixtures {
    /// A provider, `models` models and `routes` routes over them, in one multi-document file.
    public static func largeManifestSet(routes: Int, models: Int, revision: Int = 0) -> String {
        var text = """
            apiVersion: lumen.ai/v1
            kind: Provider
            metadata:
              name: upstream
            spec:
              baseURL: https://api.example.com/v1
              apiKeyEnv: UPSTREAM_API_KEY

            """
        for index in 0..<models {
            text += """
                ---
                apiVersion: lumen.ai/v1
                kind: Model
                metadata:
                  name: model-\(index)
                  labels:
                    family: f\(index % 7)
                spec:
                  provider: upstream
                  upstreamModel: vendor/model-\(index)
                  pricing: {inputPerMTok: \(Double(index % 50) / 10 + 0.1), outputPerMTok: \(Double(index % 50) / 5 + 0.2)}
                  quality: \(Double(index % 100) / 100)
                  contextWindow: \(8192 * (1 + index % 16))
                  capabilities: [tools, json]

                """
        }
        for index in 0..<routes {
            text += """
                ---
                apiVersion: lumen.ai/v1
                kind: Route
                metadata:
                  name: route-\(index)
                spec:
                  candidates: [model-\(index % models), model-\((index + 1) % models), model-\((index + 2) % models)]
                  qualityBar: 0.\(index % 10)
                  budget:
                    maxCostPerRequest: 0.\(revision + 1)
                    daily: \(100 + index)
                  slo:
                    ttftP95: \(500 + index)ms
                  failover:
                    stallTimeout: 5s

                """
        }
        return text
    }

    public static let minimal = """
        apiVersion: lumen.ai/v1
        kind: Provider
        metadata:
          name: openai
        spec:
          baseURL: https://api.openai.com/v1
          apiKeyEnv: OPENAI_API_KEY
        ---
        apiVersion: lumen.ai/v1
        kind: Model
        metadata:
          name: gpt-4o-mini
        spec:
          provider: openai
          pricing: {inputPerMTok: 0.15, outputPerMTok: 0.60}
          quality: 0.7
          contextWindow: 128000
        ---
        apiVersion: lumen.ai/v1
        kind: Route
        metadata:
          name: auto
        spec:
          candidates: [gpt-4o-mini]
          qualityBar: 0.3

        """
}
