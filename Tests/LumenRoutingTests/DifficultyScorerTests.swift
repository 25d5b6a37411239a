import Foundation
import LumenAPI
import LumenRouting
import Testing

@Suite struct DifficultyScorerTests {
    let scorer = DifficultyScorer.standard

    func score(_ text: String) -> Double {
        scorer.score(RequestFeatures.measure(text)).value
    }

    /// Prompts outside the labelled set the weights were fitted to: everyday ones need no more than
    /// the quickstart's cheap model (quality 0.5), hard ones a strong model (0.75).
    @Test func everydayQuestionsScoreLowHardTasksHigh() {
        let easy = ["What is the capital of Peru?", "Tell me a fun fact about owls.", "How many hours are in a week?", "Give me a synonym for quick."]
        let hard = [
            "Prove that there are infinitely many primes, step by step, and justify each lemma you use.",
            "Implement a thread-safe LRU cache in Rust. It must support get and put in O(1), never allocate on get, and include unit tests. "
                + "First explain the design, then write the code, finally analyze the complexity.",
            "Compute the integral of x^2 * e^x dx, then solve the differential equation y'' + y = 0 and explain why the solution is unique.",
        ]
        let easyScores = easy.map(score), hardScores = hard.map(score)
        #expect(easyScores.allSatisfy { $0 < 0.5 }, "\(easyScores)")
        #expect(hardScores.allSatisfy { $0 > 0.75 }, "\(hardScores)")
        #expect(easyScores.max()! < hardScores.min()!)
    }

    @Test func theScoreIsAPureFunctionOfTheRequestAndExplainsItself() throws {
        let body = try JSONValue(json: #"{"model":"lumen/auto","messages":[{"role":"system","content":"You are terse."},"#
            + #"{"role":"user","content":"Write a Python function that parses this JSON and returns only the ids, in JSON format."}],"#
            + #""tools":[{"type":"function","function":{"name":"lookup"}}]}"#)
        let first = scorer.score(RequestFeatures(body: body)), second = scorer.score(RequestFeatures(body: body))
        #expect(first == second)
        let features = RequestFeatures(body: body)
        #expect(features["structured"] == 1 && features["depth"] > 0 && features["code"] > 0)
        // The contributions are value × weight, largest first, and add up to the logit.
        let logit = first.contributions.reduce(scorer.bias) { $0 + $1.amount }
        #expect(abs(1 / (1 + exp(-logit)) - first.value) < 1e-12)
        #expect(zip(first.contributions, first.contributions.dropFirst()).allSatisfy { abs($0.amount) >= abs($1.amount) })
    }

    @Test func weightsAreData() {
        let features = RequestFeatures.measure("Prove the theorem.")
        let mathOnly = DifficultyScorer(weights: ["math": 10], bias: -5)
        let ignoresMath = DifficultyScorer(weights: ["math": 0], bias: -5)
        #expect(mathOnly.score(features).value > ignoresMath.score(features).value)
        #expect(ignoresMath.score(features).contributions.isEmpty)
    }

    @Test func languageAndLengthAreMeasured() {
        let japanese = RequestFeatures.measure("東京で一番おいしいラーメン屋はどこですか")
        #expect(japanese["language"] > 0.9)
        let long = RequestFeatures.measure(String(repeating: "word ", count: 800))
        #expect(long["length"] == 1 && long.promptTokens >= 800)
        let empty = RequestFeatures.measure("")
        #expect(RequestFeatures.names.allSatisfy { empty[$0] == 0 })
    }
}
