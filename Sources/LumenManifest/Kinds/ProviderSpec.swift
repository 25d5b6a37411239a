public import LumenAPI
import Yams
/// How an upstream resumes a partial assistant message after a failover.
public enum Continuation: String, CaseIterable, Codable, Sendable {
    /// `continue_final_message: true` with `add_generation_prompt: false` (vLLM, lumen-engine).
    case native
    /// As `native`, and a partial tool call is continued too: the final assistant message carries
    /// the `tool_calls` so far and the upstream finishes the last one's arguments (lumen-engine).
    case nativeWithToolCalls = "native-tools"
    /// A trailing assistant message is continued as a prefill (llama-server, some providers).
    case prefill
    /// The upstream cannot resume; a broken stream moves to another candidate or ends with an error.
    case none

    /// Whether a partial tool call can be continued.
    public var continuesToolCalls: Bool { self == .nativeWithToolCalls }
}

/// A remote OpenAI-compatible API. Its key stays on the agent: manifests name where to read it.
public struct ProviderSpec: Codable, Sendable, Hashable {
    public struct Timeouts: Codable, Sendable, Hashable {
        public var connect = LumenDuration.seconds(5)
        public var firstToken = LumenDuration.seconds(30)
        public var idle = LumenDuration.seconds(60)
    }

    public var baseURL: String
    public var apiKeyEnv: String?
    public var apiKeyFile: String?
    public var headers: SortedMap<String>?
    public var timeouts = Timeouts()
    public var maxConcurrency: Int?
    public var continuation = Continuation.none

    /// Headers that carry credentials; they belong in `apiKeyEnv`/`apiKeyFile`, never in the store.
    static let credentialHeaders: Set<String> = ["authorization", "x-api-key", "api-key", "proxy-authorization"]

    static func read(_ object: inout ObjectReader) -> ProviderSpec? {
        let baseURL = object.required("baseURL", expected: "an http:// or https:// URL")?.httpURL()
        let keyEnv = object.optional("apiKeyEnv") { reader -> String? in
            guard let name = reader.environmentName() else { return nil }
            if let problem = EnvironmentName.reservedProblem(name, field: "apiKeyEnv") {
                reader.scope.report(reader.node, reader.path, problem)
                return nil
            }
            return name
        }
        let keyFile = object.optional("apiKeyFile") { reader -> String? in
            guard let path = reader.string(expected: "a file path") else { return nil }
            // The agent reads only files under its secrets folder; `..` could only climb out of it.
            if path.split(separator: "/").contains("..") || path.contains("\0") {
                reader.scope.report(reader.node, reader.path, "apiKeyFile may not contain '..': name a file under the agent's secrets folder "
                                    + "(lumen-agent run --secrets-dir, default secrets/ in its home), relative to it or as an absolute path")
                return nil
            }
            return path
        }
        if object.has("apiKeyEnv") && object.has("apiKeyFile") {
            object.report("apiKeyFile", "set apiKeyEnv or apiKeyFile, not both")
        }
        let headers = object.optional("headers") { reader -> [String: String]? in
            let values = reader.map(key: isHeaderName, keyRule: "an HTTP header name") { $0.string() }
            for name in (values ?? [:]).keys.sorted() where credentialHeaders.contains(name.lowercased()) {
                reader.scope.report(reader.node, reader.path.appending(name),
                                    "credentials must not be written in a manifest; put the key in an environment variable and name it in apiKeyEnv")
            }
            return values
        }
        var timeouts = Timeouts()
        _ = object.nested("timeouts") { fields -> Void? in
            timeouts.connect = fields.value("connect", default: timeouts.connect) { $0.duration() }
            timeouts.firstToken = fields.value("firstToken", default: timeouts.firstToken) { $0.duration() }
            timeouts.idle = fields.value("idle", default: timeouts.idle) { $0.duration() }
            return ()
        }
        let maxConcurrency = object.optional("maxConcurrency") { $0.int(in: 1...1_000_000) }
        let continuation = object.value("continuation", default: Continuation.none) { $0.oneOf(Continuation.self) }

        guard let baseURL else { return nil }
        return ProviderSpec(
            baseURL: baseURL, apiKeyEnv: keyEnv, apiKeyFile: keyFile, headers: headers.map(SortedMap.init),
            timeouts: timeouts, maxConcurrency: maxConcurrency, continuation: continuation
        )
    }

    static func isHeaderName(_ text: String) -> Bool {
        !text.isEmpty && text.unicodeScalars.allSatisfy {
            ("A"..."Z").contains($0) || ("a"..."z").contains($0) || ("0"..."9").contains($0)
                || "!#$%&'*+-.^_`|~".unicodeScalars.contains($0)
        }
    }
}

extension ValueReader {
    func environmentName() -> String? {
        guard case .scalar(let scalar) = node, EnvironmentName.problem(scalar.string) == nil else {
            fail(EnvironmentName.expected)
            return nil
        }
        return scalar.string
    }
}
