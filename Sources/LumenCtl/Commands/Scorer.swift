import ArgumentParser
import Foundation
import LumenAPI
import LumenManifest
import LumenRouting
import LumenStore

/// `lumenctl scorer`: fit the difficulty scorer to your own labelled prompts, and measure a route against them.
struct Scorer: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fit the difficulty scorer to labelled prompts, or measure a route's routing against them.",
        discussion: """
            Labelled prompts are JSON lines: {"prompt": "...", "hard": true} or {"messages": [...], "hard": false}. \
            A prompt is hard when it needs a strong model.
            """,
        subcommands: [Fit.self, Evaluate.self]
    )

    /// One labelled request.
    struct Labelled {
        var body: JSONValue
        var hard: Bool
    }

    static func read(_ path: String) throws -> [Labelled] {
        guard let data = FileManager.default.contents(atPath: path) else { throw CommandFailure("cannot read \(path); check the path") }
        var examples: [Labelled] = []
        for (index, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            guard let value = try? JSONValue(json: text), value.entries != nil else {
                throw CommandFailure("\(path):\(index + 1): not a JSON object; each line is {\"prompt\": \"...\", \"hard\": true|false}")
            }
            guard let hard = value["hard"]?.boolValue else {
                throw CommandFailure("\(path):\(index + 1): \"hard\" must be true or false")
            }
            var body = value
            if let prompt = value["prompt"]?.stringValue {
                body = .map([.init("messages", .list([.map([.init("role", .string("user")), .init("content", .string(prompt))])]))])
            } else if value["messages"]?.arrayValue == nil {
                throw CommandFailure("\(path):\(index + 1): give \"prompt\" (a string) or \"messages\" (a chat conversation)")
            }
            examples.append(Labelled(body: body, hard: hard))
        }
        guard examples.contains(where: \.hard), examples.contains(where: { !$0.hard }) else {
            throw CommandFailure("\(path) needs both hard and easy prompts to fit or measure a scorer")
        }
        return examples
    }

    struct Fit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fit scorer weights (logistic regression) and print them as a manifest.",
            discussion: "With --route, prints that route's manifest with the fitted scorer, ready for lumenctl apply; without, the scorer block to put under a route's spec."
        )

        @Option(name: .shortAndLong, help: ArgumentHelp("Labelled prompts, one JSON object per line.", valueName: "labeled.jsonl"))
        var file: String
        @Option(help: ArgumentHelp("The route whose manifest to print with the fitted scorer.", valueName: "route"))
        var route: String?
        @Option(help: ArgumentHelp("The quality a model needs to clear a hard prompt.", valueName: "quality"))
        var hardQuality: Double = 0.75
        @Option(help: ArgumentHelp("The share of hard prompts that must score at least --hard-quality.", valueName: "share"))
        var recall: Double = 0.95
        @OptionGroup var home: HomeOptions

        func validate() throws {
            guard hardQuality > 0 && hardQuality < 1 else { throw ValidationError("--hard-quality must be between 0 and 1, e.g. 0.75.") }
            guard recall > 0 && recall <= 1 else { throw ValidationError("--recall must be in (0, 1], e.g. 0.95.") }
        }

        func run() throws {
            let examples = try Scorer.read(file)
            let measured = examples.map { ScorerFit.Example(features: RequestFeatures(body: $0.body), hard: $0.hard) }
            let fitted = ScorerFit.calibrate(ScorerFit.fit(measured), measured, hardQuality: hardQuality, recall: recall)
            let scores = examples.map { fitted.score(RequestFeatures(body: $0.body)).value }
            let auc = ScorerFit.auc(scores: scores, hard: examples.map(\.hard))
            let scorer = RouteSpec.Scorer(weights: SortedMap(fitted.weights), bias: fitted.bias)
            let console = Console.current
            console.writeError(String(format: "Fitted on %d prompts (%d hard); AUC on them %.3f; %.0f%% of the hard ones score at least %.2f.\n",
                                      examples.count, examples.filter(\.hard).count, auc, recall * 100, hardQuality))
            guard let route else {
                let block: JSONValue = .map([.init("scorer", .map([
                    .init("weights", .map(RouteSpec.Scorer.featureNames.map { .init($0, .number(String(scorer.weights[$0] ?? 0))) })),
                    .init("bias", .number(String(scorer.bias))),
                ]))])
                let yaml = block.yaml()
                console.write(yaml.hasSuffix("\n") ? yaml : yaml + "\n")
                return
            }
            var stored = try StoredRoute.load(route, home: home)
            var manifest = stored.manifest
            stored.spec.scorer = scorer
            let spec = stored.spec
            manifest.spec = .route(spec)
            console.write(manifest.canonicalYAML)
        }
    }

    struct Evaluate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure a route against labelled prompts: the scorer's AUC, cost against the strongest candidate, and hard prompts sent to a model that clears them.",
            discussion: "Costs are expected costs (the prompt plus 256 output tokens, or max_tokens if smaller) at the candidates' prices."
        )

        @Option(name: .shortAndLong, help: ArgumentHelp("Labelled prompts, one JSON object per line.", valueName: "labeled.jsonl"))
        var file: String
        @Option(help: ArgumentHelp("The route to measure.", valueName: "route"))
        var route: String
        @Option(help: ArgumentHelp("The quality a model needs to clear a hard prompt.", valueName: "quality"))
        var hardQuality: Double = 0.75
        @Option(name: .shortAndLong, help: "Output format: table or json.")
        var output: OutputFormat = .table
        @OptionGroup var home: HomeOptions

        func run() throws {
            let examples = try Scorer.read(file)
            let stored = try StoredRoute.load(route, home: home)
            let spec = stored.spec, models = stored.models
            let candidates = spec.candidates.compactMap { name in models[name].map { CandidateSelection.Candidate(name: name, spec: $0) } }
            guard let strongest = candidates.max(by: { $0.quality < $1.quality }) else { throw CommandFailure("route \(route) has no candidates") }
            let rules = CandidateSelection.Rules(route: spec), scorer = DifficultyScorer(route: spec)
            var scores: [Double] = [], routedCost = 0.0, strongestCost = 0.0, hardCleared = 0, refused = 0
            var chosenCounts: [String: Int] = [:]
            for example in examples {
                let features = RequestFeatures(body: example.body)
                let score = scorer.score(features).value
                scores.append(score)
                let demand = CandidateSelection.Demand(body: example.body, features: features, score: rules.strategy.scores ? score : nil)
                let outcome = CandidateSelection.choose(candidates, for: demand, rules: rules, draw: 0.5)
                strongestCost += outcome.verdicts.first { $0.name == strongest.name }?.expectedCost ?? 0
                guard let chosen = outcome.order.first, let verdict = outcome.verdicts.first(where: { $0.name == chosen }) else {
                    refused += 1
                    continue
                }
                chosenCounts[chosen, default: 0] += 1
                routedCost += verdict.expectedCost
                if example.hard && verdict.quality >= hardQuality { hardCleared += 1 }
            }
            // The scorer's own cost per request: features plus score, averaged over many passes.
            let clock = ContinuousClock(), passes = 50
            var sink = 0.0
            let elapsed = clock.measure {
                for _ in 0..<passes { for example in examples { sink += scorer.score(RequestFeatures(body: example.body)).value } }
            }
            let microseconds = Double(elapsed.components.attoseconds / 1_000_000_000_000 + elapsed.components.seconds * 1_000_000)
                / Double(passes * examples.count) + (sink.isNaN ? 1 : 0)
            let hardCount = examples.filter(\.hard).count
            let auc = ScorerFit.auc(scores: scores, hard: examples.map(\.hard))
            let saved = strongestCost > 0 ? 1 - routedCost / strongestCost : 0
            let console = Console.current
            if output == .json {
                console.write(JSONValue.map([
                    .init("prompts", .number(String(examples.count))), .init("hard", .number(String(hardCount))),
                    .init("auc", .number(String(auc))), .init("costSaved", .number(String(saved))),
                    .init("hardCleared", .number(String(Double(hardCleared) / Double(hardCount)))),
                    .init("refused", .number(String(refused))), .init("scoreMicroseconds", .number(String(microseconds))),
                    .init("chosen", .map(chosenCounts.sorted { $0.key < $1.key }.map { .init($0.key, .number(String($0.value))) })),
                ]).json() + "\n")
                return
            }
            var text = "Route \(route) on \(examples.count) prompts (\(hardCount) hard; a hard prompt needs quality ≥ \(hardQuality)):\n"
            text += String(format: "  scorer AUC            %.3f\n", auc)
            text += String(format: "  cost saved            %.1f%% against always %@\n", saved * 100, strongest.name)
            text += String(format: "  hard prompts cleared  %.1f%% (%d of %d)\n", Double(hardCleared) / Double(hardCount) * 100, hardCleared, hardCount)
            if refused > 0 { text += "  refused               \(refused)\n" }
            text += String(format: "  scoring time          %.1f µs per prompt (features and score)\n", microseconds)
            text += "  sent to               " + chosenCounts.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + "\n"
            console.write(text)
        }
    }
}
