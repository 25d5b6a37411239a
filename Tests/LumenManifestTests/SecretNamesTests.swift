import LumenAPI
import LumenManifest
import Testing

/// A manifest cannot point a provider or a replica at the agent's own variables, nor a key file out of the secrets folder.
@Suite struct SecretNamesTests {
    func errors(_ yaml: String) -> [String] {
        do {
            _ = try ManifestParser.parse(yaml, file: "t.yaml")
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }

    func provider(_ field: String) -> String {
        """
        apiVersion: lumen.ai/v1
        kind: Provider
        metadata: {name: p}
        spec:
          baseURL: https://api.example.com/v1
          \(field)
        """
    }

    @Test func apiKeyEnvMayNotNameTheAgentsOwnVariables() {
        let found = errors(provider("apiKeyEnv: LUMEN_CLUSTER_TOKEN"))
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("t.yaml:6:14: spec.apiKeyEnv: apiKeyEnv may not name LUMEN_CLUSTER_TOKEN") == true, "\(found)")
        #expect(found.first?.contains("never sent to a provider") == true)
        #expect(errors(provider("apiKeyEnv: lumen_cluster_token")).count == 1)
        #expect(errors(provider("apiKeyEnv: OPENAI_API_KEY")) == [])
    }

    @Test func apiKeyFileMayNotClimbOutOfTheSecretsFolder() {
        let found = errors(provider("apiKeyFile: ../../etc/passwd"))
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("t.yaml:6:15: spec.apiKeyFile: apiKeyFile may not contain '..'") == true, "\(found)")
        #expect(errors(provider("apiKeyFile: /srv/lumen/secrets/../../etc/passwd")).count == 1)
        #expect(errors(provider("apiKeyFile: openai.key")) == [])
        #expect(errors(provider("apiKeyFile: /srv/lumen/secrets/openai.key")) == [])
    }

    func model(_ deployment: String) -> String {
        """
        apiVersion: lumen.ai/v1
        kind: Model
        metadata: {name: m}
        spec:
          deployment:
            engine: process
            command: "serve --port {port}"
        \(deployment)
          pricing: {inputPerMTok: 1, outputPerMTok: 2}
          quality: 0.5
          contextWindow: 8192
        """
    }

    @Test func aDeploymentNamesItsReplicasEnvironment() throws {
        let yaml = model("""
                env: {HF_HOME: /data/hf, VLLM_LOGGING_LEVEL: DEBUG, EMPTY: ""}
                passEnv: [HF_TOKEN, LD_LIBRARY_PATH]
            """)
        let manifest = try #require(try ManifestParser.parse(yaml, file: "t.yaml").first).manifest
        guard case .model(let spec) = manifest.spec, let deployment = spec.deployment else {
            Issue.record("not a model with a deployment")
            return
        }
        #expect(deployment.env?.values == ["HF_HOME": "/data/hf", "VLLM_LOGGING_LEVEL": "DEBUG", "EMPTY": ""])
        #expect(deployment.passEnv == ["HF_TOKEN", "LD_LIBRARY_PATH"])
        // The canonical form keeps them, so a change replaces the replicas.
        #expect(manifest.canonicalYAML.contains("HF_HOME: /data/hf"), "\(manifest.canonicalYAML)")
        #expect(try Manifest(canonicalJSON: manifest.canonicalJSON) == manifest)
    }

    @Test func aDeploymentMayNotSetOrPassTheAgentsOwnVariables() {
        let found = errors(model("""
                env: {LUMEN_PORT: "1", 9X: a, OK: [a]}
                passEnv: [LUMEN_CLUSTER_TOKEN, "bad name"]
            """))
        #expect(found == [
            "t.yaml:8:11: spec.deployment.env.LUMEN_PORT: env may not name LUMEN_PORT: variables starting with LUMEN_ are the agent's own (it sets LUMEN_MODEL, LUMEN_REPLICA, LUMEN_SLOTS and LUMEN_PORT itself, and the cluster token never reaches a replica); use another name",
            "t.yaml:8:28: spec.deployment.env.9X: expected an environment variable name such as OPENAI_API_KEY (letters, digits, '_'), got 9X, as the key",
            "t.yaml:8:39: spec.deployment.env.OK: expected a string value, got a list",
            "t.yaml:9:15: spec.deployment.passEnv[0]: passEnv may not name LUMEN_CLUSTER_TOKEN: variables starting with LUMEN_ are the agent's own (it sets LUMEN_MODEL, LUMEN_REPLICA, LUMEN_SLOTS and LUMEN_PORT itself, and the cluster token never reaches a replica); use another name",
            #"t.yaml:9:36: spec.deployment.passEnv[1]: expected an environment variable name such as OPENAI_API_KEY (letters, digits, '_'), got "bad name" (quoted)"#,
        ], "\(found)")
    }

    @Test func environmentIsForReplicasTheAgentStarts() {
        let yaml = """
            apiVersion: lumen.ai/v1
            kind: Model
            metadata: {name: m}
            spec:
              deployment: {endpoints: ["http://127.0.0.1:9000/v1"], env: {A: b}}
              pricing: {inputPerMTok: 1, outputPerMTok: 2}
              quality: 0.5
              contextWindow: 8192
            """
        #expect(errors(yaml) == ["t.yaml:5:62: spec.deployment.env: env applies only to engine deployments; endpoints are replicas that are already running"])
    }
}
