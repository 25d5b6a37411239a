public import LumenAPI
import Yams
/// Self-hosted replicas of a model: already-running endpoints, or an engine the agent starts.
public struct Deployment: Codable, Sendable, Hashable {
    public enum Engine: String, CaseIterable, Codable, Sendable {
        /// lumen-engine with the deployment's GGUF file.
        case builtin
        /// Any OpenAI-compatible server started from `command` (vLLM, llama-server).
        case process
        /// The simulator, for tests and demos.
        case sim
    }

    public struct Replicas: Codable, Sendable, Hashable {
        public var min: Int
        public var max: Int
        public var warm: Int
    }

    public struct Speculative: Codable, Sendable, Hashable {
        public enum Method: String, CaseIterable, Codable, Sendable {
            case draft, ngram
        }

        public var method: Method
        public var draftModel: String?
        public var tokens: Int
    }

    /// Placeholders a process command template may use.
    public static let templatePlaceholders = ["port", "model", "slot", "args"]

    public var endpoints: [String]?
    public var engine: Engine?
    /// The model file (GGUF for `builtin`, the value of `{model}` for `process`).
    public var model: String?
    public var command: String?
    public var args: [String]?
    public var replicas: Replicas?
    public var scaleToZeroAfter: LumenDuration?
    public var targetInFlight: Int?
    public var slots: Int?
    /// Which deployment gets a node's slots first when they are short (higher first).
    public var priority: Int?
    public var prefixCaching: Bool?
    public var speculative: Speculative?
    /// Variables set in each replica's environment (stored with the manifest: not for secrets).
    public var env: SortedMap<String>?
    /// Names of the agent's own variables a replica may see (a token the engine needs, kept on the agent).
    public var passEnv: [String]?
    public var nodes: SortedMap<String>?
    public var continuation: Continuation

    /// A deployment of replicas that are already running at `urls`.
    public static func endpoints(_ urls: [String], continuation: Continuation = .native) -> Deployment {
        Deployment(endpoints: urls, continuation: continuation)
    }

    /// Fields that only make sense for replicas the agent starts itself.
    private static let engineOnlyFields = [
        "model", "command", "args", "replicas", "scaleToZeroAfter", "targetInFlight", "slots", "priority", "prefixCaching", "speculative",
        "env", "passEnv",
    ]

    static func read(_ object: inout ObjectReader) -> Deployment? {
        let endpoints = object.optional("endpoints") { reader -> [String]? in
            guard let urls = reader.list({ $0.httpURL() }) else { return nil }
            if urls.isEmpty { reader.fail("at least one endpoint URL") }
            return urls
        }
        let engine = object.optional("engine") { $0.oneOf(Engine.self) }
        let continuation = object.value("continuation", default: Continuation.native) { $0.oneOf(Continuation.self) }
        let nodes = object.optional("nodes") { $0.map(key: LabelRule.isValidKey, keyRule: LabelRule.keyRule) { $0.labelValue() } }

        switch (object.has("endpoints"), object.has("engine")) {
        case (true, true):
            object.report("engine", "set either endpoints (replicas already running) or engine (replicas the agent starts), not both")
        case (false, false):
            object.scope.report(object.node, object.path, "a deployment needs endpoints (a list of URLs) or engine (builtin, process or sim)")
        default:
            break
        }

        if object.has("endpoints") {
            for field in engineOnlyFields where object.has(field) {
                _ = object.field(field)
                // With engine also set, the "not both" error already says what to fix.
                if !object.has("engine") {
                    object.report(field, "\(field) applies only to engine deployments; endpoints are replicas that are already running")
                }
            }
            guard let endpoints else { return nil }
            return Deployment(endpoints: endpoints, nodes: nodes.map(SortedMap.init), continuation: continuation)
        }

        let model = object.optional("model") { $0.string(expected: "a model file path") }
        let command = object.optional("command") { $0.commandTemplate() }
        let args = object.optional("args") { $0.list { $0.string() } }
        if engine == .builtin && !object.has("model") {
            object.scope.report(object.node, object.path.appending("model"), "required field is missing (expected the GGUF file engine builtin serves)")
        }
        if engine == .process && !object.has("command") {
            object.scope.report(object.node, object.path.appending("command"),
                                "required field is missing (expected a command template with {port}, e.g. \"vllm serve {model} --port {port}\")")
        }
        if let engine, engine != .process, object.has("command") {
            object.report("command", "command applies only to engine process; engine \(engine.rawValue) is started by the agent itself")
        }

        let replicas = object.nested("replicas") { fields -> Replicas? in
            let min = fields.value("min", default: 1) { $0.int(in: 0...10_000) }
            let max = fields.value("max", default: Swift.max(min, 1)) { $0.int(in: 1...10_000) }
            let warm = fields.value("warm", default: 0) { $0.int(in: 0...10_000) }
            if min > max { fields.report("min", "min (\(min)) cannot exceed max (\(max))") }
            if warm > max { fields.report("warm", "warm (\(warm)) cannot exceed max (\(max))") }
            return Replicas(min: min, max: max, warm: warm)
        } ?? Replicas(min: 1, max: 1, warm: 0)
        let scaleToZeroAfter = object.value("scaleToZeroAfter", default: LumenDuration.seconds(900)) { $0.duration() }
        let targetInFlight = object.value("targetInFlight", default: 8) { $0.int(in: 1...100_000) }
        let slots = object.value("slots", default: 1) { $0.int(in: 1...1024) }
        let priority = object.value("priority", default: 0) { $0.int(in: -1000...1000) }
        let prefixCaching = object.value("prefixCaching", default: true) { $0.bool() }
        let speculative = object.nested("speculative") { fields -> Speculative? in
            let method = fields.required("method", expected: "draft or ngram")?.oneOf(Speculative.Method.self)
            let draftModel = fields.optional("draftModel") { $0.string(expected: "a draft model file path") }
            let tokens = fields.value("tokens", default: 4) { $0.int(in: 1...16) }
            if method == .draft && draftModel == nil && !fields.has("draftModel") {
                fields.scope.report(fields.node, fields.path.appending("draftModel"),
                                    "required field is missing (method draft needs a draftModel file)")
            }
            if method == .ngram && fields.has("draftModel") {
                fields.report("draftModel", "method ngram uses no draft model; remove draftModel or use method draft")
            }
            guard let method else { return nil }
            return Speculative(method: method, draftModel: draftModel, tokens: tokens)
        }

        let env = object.optional("env") { $0.workerEnvironment() }
        let passEnv = object.optional("passEnv") { $0.list { $0.workerVariableName() } }

        guard let engine else { return nil }
        return Deployment(
            engine: engine, model: model, command: command, args: args, replicas: replicas,
            scaleToZeroAfter: scaleToZeroAfter, targetInFlight: targetInFlight, slots: slots, priority: priority,
            prefixCaching: prefixCaching, speculative: speculative, env: env.map(SortedMap.init), passEnv: passEnv,
            nodes: nodes.map(SortedMap.init),
            continuation: continuation
        )
    }
}

extension ValueReader {
    /// `deployment.env`: variable names (not the agent's own `LUMEN_*`) to string values.
    func workerEnvironment() -> [String: String]? {
        guard let object = ObjectReader(self) else { return nil }
        var values: [String: String] = [:]
        var failed = false
        for entry in object.entries {
            let childPath = path.appending(entry.key)
            if let problem = EnvironmentName.problem(entry.key) {
                scope.report(entry.keyNode, childPath, problem + ", as the key")
                failed = true
                continue
            }
            if let problem = EnvironmentName.reservedProblem(entry.key, field: "env") {
                scope.report(entry.keyNode, childPath, problem)
                failed = true
                continue
            }
            if let location = scope.location(of: entry.value) { scope.fieldLocations[childPath.description] = location }
            guard case .scalar(let scalar) = entry.value, !scalar.string.contains("\0") else {
                scope.report(entry.value, childPath, "expected a string value, got \(entry.value.shortDescription)")
                failed = true
                continue
            }
            values[entry.key] = entry.value.isNull ? "" : scalar.string
        }
        return failed ? nil : values
    }

    private var anyScalarText: String? {
        guard case .scalar(let scalar) = node else { return nil }
        return scalar.string
    }

    /// One name of `deployment.passEnv`.
    func workerVariableName() -> String? {
        guard let name = anyScalarText, EnvironmentName.problem(name) == nil else {
            fail(EnvironmentName.expected)
            return nil
        }
        if let problem = EnvironmentName.reservedProblem(name, field: "passEnv") {
            scope.report(node, path, problem)
            return nil
        }
        return name
    }

    /// A command template: only known `{placeholders}`, and `{port}` so the agent can reach it.
    func commandTemplate() -> String? {
        guard let text = string(expected: "a command template") else { return nil }
        var placeholders: [String] = []
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{") {
            guard let close = rest[open...].firstIndex(of: "}") else {
                fail("a command template whose braces close, e.g. {port}")
                return nil
            }
            placeholders.append(String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        if let unknown = placeholders.first(where: { !Deployment.templatePlaceholders.contains($0) }) {
            scope.report(node, path, "unknown placeholder {\(unknown)}; use " +
                         Deployment.templatePlaceholders.map { "{\($0)}" }.joined(separator: ", "))
            return nil
        }
        if !placeholders.contains("port") {
            scope.report(node, path, "the command must contain {port} so the agent can start it on a port it chooses")
            return nil
        }
        return text
    }
}
