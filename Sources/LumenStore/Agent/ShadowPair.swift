/// One mirrored request of a shadow test: what the route's own model (the primary) and the
/// candidate each did with it, and how far their answers agree. Zero-retention routes keep
/// the measures only: `prompt` and both sides' `text` and `toolCalls` are nil.
public struct ShadowPair: Sendable, Codable, Hashable {
    /// One side of a pair.
    public struct Side: Sendable, Codable, Hashable {
        public var model: String?
        public var upstream: String?
        /// HTTP status the side ended with (200, or the error's status).
        public var status: Int
        /// `completed` or `failed` (a transport error, an error status, an error event).
        public var outcome: UsageRecord.Outcome
        public var ttftMilliseconds: Double?
        public var durationMilliseconds: Double
        public var promptTokens: Int
        public var completionTokens: Int
        /// USD, exact decimal text.
        public var cost: String
        /// The answer's text (choice 0), where the route retains text.
        public var text: String?
        /// The answer's tool calls as canonical JSON (`[{"name":…,"arguments":…}]`), where retained.
        public var toolCalls: String?

        public init(model: String?, upstream: String?, status: Int, outcome: UsageRecord.Outcome, ttftMilliseconds: Double?,
                    durationMilliseconds: Double, promptTokens: Int, completionTokens: Int, cost: String, text: String?,
                    toolCalls: String?) {
            self.model = model
            self.upstream = upstream
            self.status = status
            self.outcome = outcome
            self.ttftMilliseconds = ttftMilliseconds
            self.durationMilliseconds = durationMilliseconds
            self.promptTokens = promptTokens
            self.completionTokens = completionTokens
            self.cost = cost
            self.text = text
            self.toolCalls = toolCalls
        }

        /// Output tokens per second after the first token, where measurable.
        public var tokensPerSecond: Double? {
            guard let ttft = ttftMilliseconds, completionTokens > 1, durationMilliseconds > ttft else { return nil }
            return Double(completionTokens - 1) / ((durationMilliseconds - ttft) / 1000)
        }

        public var failed: Bool { outcome != .completed }
    }

    /// How far the two answers agree. Each is computed on the agent, where the text is, so that
    /// zero-retention routes can be compared without keeping it.
    public struct Measures: Sendable, Codable, Hashable {
        /// The two texts are byte for byte the same.
        public var exactMatch: Bool
        /// Word-level similarity of the normalised texts (lower case, punctuation and spacing ignored), 0–1.
        public var similarity: Double
        /// Candidate completion tokens ÷ primary completion tokens; nil when the primary produced none.
        public var lengthRatio: Double?
        /// Both answers parse as JSON, or neither does.
        public var jsonAgreement: Bool
        /// Both call the same tools with the same arguments, or neither calls any.
        public var toolCallAgreement: Bool
        /// The pair's agreement, 0–1: the similarity, or 0 when JSON validity or tool calls disagree.
        public var agreement: Double

        public init(exactMatch: Bool, similarity: Double, lengthRatio: Double?, jsonAgreement: Bool, toolCallAgreement: Bool,
                    agreement: Double) {
            self.exactMatch = exactMatch
            self.similarity = similarity
            self.lengthRatio = lengthRatio
            self.jsonAgreement = jsonAgreement
            self.toolCallAgreement = toolCallAgreement
            self.agreement = agreement
        }
    }

    /// The ShadowTest's name.
    public var test: String
    /// The primary request's id, as in the usage ledger.
    public var requestID: String
    /// ISO 8601, when the primary request arrived.
    public var at: String
    public var route: String
    /// The agent (node) that recorded the pair; filled in by whoever gathers pairs from several agents.
    public var node: String?
    /// The last user message, where the route retains text.
    public var prompt: String?
    public var primary: Side
    public var candidate: Side
    public var measures: Measures

    public init(test: String, requestID: String, at: String, route: String, node: String? = nil, prompt: String?, primary: Side,
                candidate: Side, measures: Measures) {
        self.test = test
        self.requestID = requestID
        self.at = at
        self.route = route
        self.node = node
        self.prompt = prompt
        self.primary = primary
        self.candidate = candidate
        self.measures = measures
    }
}
