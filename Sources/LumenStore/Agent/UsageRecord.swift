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

    /// Who the row bills. Only `client` rows are a client's spend: a `peer` row is a request another
    /// agent passed on (that agent's `client` row bills it), a `shadow` row is a shadow test's mirrored copy.
    public enum Origin: String, Sendable, Codable {
        case client, peer, shadow
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
    public var origin: Origin

    public init(requestID: String, at: String, keyName: String?, route: String?, model: String?, upstream: String?,
                promptTokens: Int, completionTokens: Int, cachedTokens: Int, cost: String, ttftMilliseconds: Double?,
                durationMilliseconds: Double, status: Int, outcome: Outcome, failovers: Int, origin: Origin = .client) {
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
        self.origin = origin
    }

    private enum CodingKeys: String, CodingKey {
        case requestID, at, keyName, route, model, upstream, promptTokens, completionTokens, cachedTokens, cost, ttftMilliseconds,
             durationMilliseconds, status, outcome, failovers, origin
    }

    /// Rows from an agent older than `origin` are all client rows.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            requestID: try c.decode(String.self, forKey: .requestID), at: try c.decode(String.self, forKey: .at),
            keyName: try c.decodeIfPresent(String.self, forKey: .keyName), route: try c.decodeIfPresent(String.self, forKey: .route),
            model: try c.decodeIfPresent(String.self, forKey: .model), upstream: try c.decodeIfPresent(String.self, forKey: .upstream),
            promptTokens: try c.decode(Int.self, forKey: .promptTokens), completionTokens: try c.decode(Int.self, forKey: .completionTokens),
            cachedTokens: try c.decode(Int.self, forKey: .cachedTokens), cost: try c.decode(String.self, forKey: .cost),
            ttftMilliseconds: try c.decodeIfPresent(Double.self, forKey: .ttftMilliseconds),
            durationMilliseconds: try c.decode(Double.self, forKey: .durationMilliseconds), status: try c.decode(Int.self, forKey: .status),
            outcome: try c.decode(Outcome.self, forKey: .outcome), failovers: try c.decode(Int.self, forKey: .failovers),
            origin: try c.decodeIfPresent(Origin.self, forKey: .origin) ?? .client)
    }
}
