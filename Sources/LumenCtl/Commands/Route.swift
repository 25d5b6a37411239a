import ArgumentParser
import Foundation
import LumenAPI
import LumenManifest
import LumenRouting
import LumenStore

/// A route from the control store, with the models it may choose from.
struct StoredRoute {
    var manifest: Manifest
    var spec: RouteSpec
    var models: [String: ModelSpec]
    var snapshot: Snapshot

    /// `name` may be given as `lumen/<name>`.
    static func load(_ name: String, home: HomeOptions) throws -> StoredRoute {
        guard let store = try home.existingStore(), let snapshot = try store.snapshot() else { throw CommandFailure.emptyStore(home.path) }
        let name = name.hasPrefix("lumen/") ? String(name.dropFirst(6)) : name
        var routes: [String: (Manifest, RouteSpec)] = [:], models: [String: ModelSpec] = [:]
        for manifest in snapshot.manifests {
            switch manifest.spec {
            case .route(let spec): routes[manifest.name] = (manifest, spec)
            case .model(let spec): models[manifest.name] = spec
            default: break
            }
        }
        guard let (manifest, spec) = routes[name] else {
            throw CommandFailure("no route named \(name); the routes are: \(routes.keys.sorted().joined(separator: ", "))")
        }
        return StoredRoute(manifest: manifest, spec: spec, models: models, snapshot: snapshot)
    }
}

/// `lumenctl route explain`: how a route would choose for one request, and why.
struct Route: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect how routes choose models.",
        subcommands: [Explain.self]
    )

    struct Explain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the score of a request, the features behind it, and every candidate with its quality, costs, TTFT and verdict.",
            discussion: "Uses the routes and models in the control store and, where an agent answers, its observed TTFT and decode speed. A weighted route's split is shown as its percentages; the draw itself happens per request."
        )

        @Argument(help: ArgumentHelp("The route's name (auto for lumen/auto).", valueName: "route"))
        var route: String
        @Argument(help: ArgumentHelp("The prompt, as one user message.", valueName: "prompt"))
        var prompt: String?
        @Option(name: .shortAndLong, help: ArgumentHelp("A whole request body (JSON), instead of a prompt.", valueName: "request.json"))
        var file: String?
        @Option(name: .shortAndLong, help: "Output format: table or json.")
        var output: OutputFormat = .table
        @OptionGroup var home: HomeOptions

        func validate() throws {
            if (prompt == nil) == (file == nil) { throw ValidationError("Give either a prompt or -f request.json, not both.") }
        }

        func run() throws {
            let console = Console.current
            let stored = try StoredRoute.load(route, home: home)
            let routeName = stored.manifest.name, spec = stored.spec, models = stored.models
            let body = try requestBody()
            let observed = Self.observed(stored.snapshot, console: console, home: home.path)
            let features = RequestFeatures(body: body)
            let rules = CandidateSelection.Rules(route: spec)
            let scorer = DifficultyScorer(route: spec)
            let score = scorer.score(features)
            let demand = CandidateSelection.Demand(body: body, features: features, score: rules.strategy.scores ? score.value : nil)
            let candidates = spec.candidates.compactMap { name in
                models[name].map {
                    CandidateSelection.Candidate(name: name, spec: $0, ttftP95Milliseconds: observed[name]?.ttft,
                                                 tokensPerSecond: observed[name]?.speed, trafficPercent: spec.traffic?[name] ?? 0)
                }
            }
            // The middle of the split: the explanation shows the order most requests get.
            let outcome = CandidateSelection.choose(candidates, for: demand, rules: rules, draw: 0)
            if output == .json {
                console.write(Self.json(routeName, spec, score, scorer, features, outcome).json() + "\n")
            } else {
                console.write(Self.text(routeName, spec, score, scorer, features, outcome, scored: rules.strategy.scores))
            }
            if outcome.refusal != nil { throw ExitCode(1) }
        }

        private func requestBody() throws -> JSONValue {
            if let prompt {
                return .map([.init("messages", .list([.map([.init("role", .string("user")), .init("content", .string(prompt))])]))])
            }
            let path = file ?? ""
            guard let data = FileManager.default.contents(atPath: path) else { throw CommandFailure("cannot read \(path); check the path") }
            guard let body = try? JSONValue(json: String(decoding: data, as: UTF8.self)), body.entries != nil else {
                throw CommandFailure("\(path) is not a JSON object; give a chat request body such as {\"messages\": [...]}")
            }
            return body
        }

        /// Each model's best observed TTFT p95 and decode speed on any agent that answers; nothing where none does.
        static func observed(_ snapshot: Snapshot, console: Console, home: String) -> [String: (ttft: Double?, speed: Double?)] {
            let nodes = StatePush.addressedNodes(snapshot)
            guard !nodes.isEmpty else { return [:] }
            let client = AdminClient(token: AdminClient.token(environment: console.environment, home: home))
            var figures: [String: (ttft: Double?, speed: Double?)] = [:]
            for result in (try? client.health(of: nodes)) ?? [] {
                for upstream in result.answer?.arrayValue ?? [] where upstream["state"]?.stringValue != "ejected" && (upstream["requests"]?.intValue ?? 0) >= 20 {
                    guard let model = upstream["model"]?.stringValue else { continue }
                    var entry = figures[model] ?? (nil, nil)
                    if let p95 = upstream["ttftP95Milliseconds"]?.doubleValue { entry.ttft = min(entry.ttft ?? p95, p95) }
                    if let gap = upstream["interTokenP50Milliseconds"]?.doubleValue, gap > 0 { entry.speed = max(entry.speed ?? 0, 1000 / gap) }
                    figures[model] = entry
                }
            }
            return figures
        }

        static func verdict(_ verdict: CandidateSelection.Verdict, _ outcome: CandidateSelection.Outcome) -> String {
            if let position = outcome.order.firstIndex(of: verdict.name) {
                let role = position == 0 ? "chosen" : "fallback \(position)"
                return outcome.bestEffort ? "\(role) (best effort: nothing cleared the bar)" : role
            }
            if !verdict.excludedBecause.isEmpty { return "ruled out: " + verdict.excludedBecause.joined(separator: "; ") }
            return String(format: "below the bar %.2f", outcome.bar)
        }

        static func text(_ name: String, _ spec: RouteSpec, _ score: DifficultyScorer.Score, _ scorer: DifficultyScorer,
                         _ features: RequestFeatures, _ outcome: CandidateSelection.Outcome, scored: Bool) -> String {
            var text = "Route \(name): \(spec.strategy.rawValue), quality bar \(String(format: "%.2f", spec.qualityBar))\n"
            text += String(format: "Score %.3f", score.value) + (scored ? String(format: "; this request needs quality %.2f", outcome.bar) : " (this strategy does not use it)")
            text += String(format: "; about %d prompt tokens\n", features.promptTokens)
            for contribution in score.contributions {
                text += "  " + contribution.feature.padding(toLength: 12, withPad: " ", startingAt: 0)
                    + String(format: "%.2f × %.2f = %+.2f\n", features[contribution.feature], scorer.weights[contribution.feature] ?? 0, contribution.amount)
            }
            text += "  " + "bias".padding(toLength: 12, withPad: " ", startingAt: 0) + String(format: "%+.2f\n", scorer.bias)
            var table = Table(headers: ["MODEL", "QUALITY", "EXPECTED", "WORST CASE", "TTFT P95", "VERDICT"])
            for verdict in outcome.verdicts {
                table.rows.append([
                    verdict.name, String(format: "%.2f", verdict.quality), String(format: "$%.6f", verdict.expectedCost),
                    String(format: "$%.6f", verdict.worstCaseCost), verdict.ttftP95Milliseconds.map { String(format: "%.0f ms", $0) } ?? "not observed",
                    Self.verdict(verdict, outcome),
                ])
            }
            text += table.render()
            if let refusal = outcome.refusal { text += "Refused: \(refusal)\n" }
            return text
        }

        static func json(_ name: String, _ spec: RouteSpec, _ score: DifficultyScorer.Score, _ scorer: DifficultyScorer,
                         _ features: RequestFeatures, _ outcome: CandidateSelection.Outcome) -> JSONValue {
            func number(_ value: Double) -> JSONValue { .number(String(value)) }
            return .map([
                .init("route", .string(name)), .init("strategy", .string(spec.strategy.rawValue)),
                .init("score", number(score.value)), .init("bar", number(outcome.bar)), .init("promptTokens", .number(String(features.promptTokens))),
                .init("features", .map(RequestFeatures.names.map { .init($0, number(features[$0])) })),
                .init("contributions", .map(score.contributions.map { .init($0.feature, number($0.amount)) })),
                .init("order", .list(outcome.order.map(JSONValue.string))), .init("bestEffort", .bool(outcome.bestEffort)),
                .init("refusal", outcome.refusal.map(JSONValue.string) ?? .null),
                .init("candidates", .list(outcome.verdicts.map { verdict in
                    .map([
                        .init("model", .string(verdict.name)), .init("quality", number(verdict.quality)),
                        .init("expectedCost", number(verdict.expectedCost)), .init("worstCaseCost", number(verdict.worstCaseCost)),
                        .init("ttftP95Milliseconds", verdict.ttftP95Milliseconds.map(number) ?? .null),
                        .init("verdict", .string(Self.verdict(verdict, outcome))),
                    ])
                })),
            ])
        }
    }
}
