/// One request in the agent's usage ledger: billing data, so every field is what happened.
public struct UsageRecord: Sendable, Codable, Hashable {
    public enum Outcome: String, Sendable, Codable {
        /// The response finished.
        case completed
        /// The client went away before the end; tokens are what was actually generated.
        case clientClosed = "client_closed"
        /// Lumen or the upstream failed the request.
        case failed
        /// Refused before any upstream was called (auth, limits, validation).
        case rejected
    }

    public var requestID: String
    public var at: String
    public var keyName: String?
    public var route: String?
    public var model: String?
    public var upstream: String?
    public var promptTokens: Int
    public var completionTokens: Int
    public var cachedTokens: Int
    /// USD, as exact decimal text.
    public var cost: String
    public var ttftMilliseconds: Double?
    public var durationMilliseconds: Double
    public var status: Int
    public var outcome: Outcome
    public var failovers: Int

    public init(requestID: String, at: String, keyName: String?, route: String?, model: String?, upstream: String?,
                promptTokens: Int, completionTokens: Int, cachedTokens: Int, cost: String, ttftMilliseconds: Double?,
                durationMilliseconds: Double, status: Int, outcome: Outcome, failovers: Int) {
        self.requestID = requestID
        self.at = at
        self.keyName = keyName
        self.route = route
        self.model = model
        self.upstream = upstream
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.cachedTokens = cachedTokens
        self.cost = cost
        self.ttftMilliseconds = ttftMilliseconds
        self.durationMilliseconds = durationMilliseconds
        self.status = status
        self.outcome = outcome
        self.failovers = failovers
    }
}
