import Foundation
@testable import LumenCtl
@testable import LumenManifest
import LumenRouting
import LumenStore
import LumenTestSupport
import Testing

/// The shadow-test report: statistics, verdict, examples and its three renderings.
@Suite struct ShadowReportTests {
    // MARK: Statistics

    @Test func sideStatisticsUsePercentilesOfAnsweredRequests() {
        // Latencies 100…1000 ms on the primary; the candidate fails the last pair.
        let pairs = (1...10).map { index in
            makePair(index, primaryMs: Double(index) * 100, candidateMs: Double(index) * 50, ttft: (Double(index) * 10, Double(index) * 5),
                     candidateFailed: index == 10)
        }
        let report = ShadowReport(name: "t", spec: spec(), pairs: pairs)
        #expect(report.primary.latencyMilliseconds.p50 == 500 && report.primary.latencyMilliseconds.p95 == 1000)
        #expect(report.primary.ttftMilliseconds.p50 == 50 && report.primary.ttftMilliseconds.p95 == 100)
        // The failed pair's timings do not count: nine answered, nearest rank.
        #expect(report.candidate.latencyMilliseconds.p50 == 250 && report.candidate.latencyMilliseconds.p95 == 450)
        #expect(report.candidate.completed == 9 && report.candidate.failed == 1)
        #expect(report.candidate.errorRate == 0.1)
        #expect(report.primary.errorRate == 0)
        #expect(report.ratios.latencyP95 == 0.45)
        #expect(report.ratios.ttftP95 == 0.45)
        // 20 completion tokens: 19 after the first, over (duration − TTFT).
        let perPair: [Double] = (1...10).map { index in
            let seconds = Double(index) * 90 / 1000
            return 19 / seconds
        }
        #expect(report.primary.tokensPerSecond == Statistics.percentile(perPair, 0.5))
        #expect(report.comparedPairs == 9)
        #expect(report.agreement.pairs == 9)
    }

    @Test func moneyIsExactDecimal() throws {
        let costs = ["0.0001", "0.0002", "0.0003"]
        let pairs = costs.enumerated().map { makePair($0.offset, primaryCost: $0.element, candidateCost: "0.000333333333") }
        let report = ShadowReport(name: "t", spec: spec(), pairs: pairs)
        #expect(report.primary.totalCost.amount == decimal("0.0006"))
        #expect(report.primary.costPerRequest.amount == decimal("0.0002"))
        #expect(report.primary.costPer1kRequests.amount == decimal("0.2"))
        // 0.000999999999 ÷ 3 rounds at nine places; per 1k at six, the same digits.
        #expect(report.candidate.totalCost.amount == decimal("0.000999999999"))
        #expect(report.candidate.costPerRequest.amount == decimal("0.000333333"))
        #expect(report.candidate.costPer1kRequests.amount == decimal("0.333333"))
        #expect(ShadowReport.dollars(report.primary.costPer1kRequests) == "$0.200")
        #expect(ShadowReport.dollars(report.primary.costPerRequest) == "$0.000200")
        #expect(ShadowReport.dollars(USD(decimal("12.5"))) == "$12.50")
        #expect(ShadowReport.dollars(USD(0)) == "$0.00")
        let ratio = try #require(report.ratios.costPerRequest)
        #expect(abs(ratio - 0.000999999999 / 0.0006) < 1e-12)
    }

    @Test func histogramBucketsByTenths() {
        let agreements = [0, 0.05, 0.1, 0.3, 0.7, 0.9, 0.95, 1.0, 0.999, 0.6]
        let pairs = agreements.enumerated().map { makePair($0.offset, agreement: $0.element) }
        let report = ShadowReport(name: "t", spec: spec(), pairs: pairs)
        #expect(report.agreement.histogram.map(\.pairs) == [2, 1, 0, 1, 0, 0, 1, 1, 0, 4])
        #expect(report.agreement.histogram.first?.lower == 0 && report.agreement.histogram.last?.upper == 1)
        #expect(abs((report.agreement.meanAgreement ?? 0) - agreements.reduce(0, +) / 10) < 1e-12)
    }

    @Test func agreementSharesAndMedianLengthRatio() {
        let pairs = (0..<10).map { index in
            var pair = makePair(index, agreement: 0.95)
            pair.measures.exactMatch = index < 3
            pair.measures.jsonAgreement = index != 0
            pair.measures.toolCallAgreement = index > 1
            pair.measures.lengthRatio = index == 9 ? nil : Double(index + 1) / 10
            return pair
        }
        let agreement = ShadowReport(name: "t", spec: spec(), pairs: pairs).agreement
        #expect(agreement.exactMatchShare == 0.3)
        #expect(agreement.jsonAgreementShare == 0.9)
        #expect(agreement.toolCallAgreementShare == 0.8)
        #expect(agreement.medianLengthRatio == 0.5)
    }

    // MARK: Verdict

    @Test func promoteWhenEveryCheckPasses() {
        let pairs = (0..<12).map { makePair($0, agreement: 0.95, primaryMs: 1000, candidateMs: 900) }
        let report = ShadowReport(name: "t", spec: spec(maxCostRatio: 1), pairs: pairs)
        #expect(report.verdict.decision == .promote)
        #expect(report.verdict.checks.map(\.name) == ["agreement", "errorRate", "ttftP95Ratio", "latencyP95Ratio", "costRatio"])
        #expect(report.verdict.checks.allSatisfy { $0.result == .pass && $0.note == nil })
        #expect(report.verdict.summary == "all 5 measured checks pass on 12 pairs (12 compared)")
    }

    @Test func holdNamesTheFailingChecksWithNumbers() {
        var pairs = (0..<20).map { makePair($0, agreement: 0.8, primaryMs: 1000, candidateMs: 1300) }
        pairs[0].candidate.outcome = .failed
        pairs[0].candidate.status = 500
        let report = ShadowReport(name: "t", spec: spec(), pairs: pairs)
        #expect(report.verdict.decision == .hold)
        #expect(report.verdict.checks.map(\.result) == [.fail, .fail, .pass, .fail])
        #expect(report.verdict.summary
            == "3 of 4 checks fail: agreement 0.80 < 0.90; candidate error rate 5% > 1%; latency p95 ratio 1.30× > 1.25×")
    }

    @Test func insufficientBelowTenPairsOrWithoutAnsweredPairs() {
        let few = ShadowReport(name: "t", spec: spec(), pairs: (0..<9).map { makePair($0) })
        #expect(few.verdict.decision == .insufficient)
        #expect(few.verdict.summary == "9 pairs recorded; at least 10 are needed to judge")

        let failing = (0..<12).map { index in
            var pair = makePair(index)
            pair.candidate.outcome = .failed
            return pair
        }
        let noneAnswered = ShadowReport(name: "t", spec: spec(), pairs: failing)
        #expect(noneAnswered.verdict.decision == .insufficient)
        #expect(noneAnswered.verdict.summary == "no pair where both sides answered: of 12 pairs the primary failed 0 and the candidate 12")
        #expect(noneAnswered.examples.isEmpty)

        let empty = ShadowReport(name: "t", spec: spec(), pairs: [])
        #expect(empty.verdict.decision == .insufficient)
        #expect(empty.verdict.checks.allSatisfy { $0.result == .unmeasured })
        #expect(!empty.text(console: .capturing()).isEmpty && !empty.html().isEmpty)
    }

    @Test func valuesOnTheLimitPass() {
        // Mean of 0.9s, 1 failure in 100, p95 ratio of exactly 1.25: all on their limits.
        var pairs = (0..<100).map { makePair($0, agreement: 0.9, primaryMs: 1000, candidateMs: 1250, ttft: (200, 250)) }
        pairs[0].candidate.outcome = .failed
        let report = ShadowReport(name: "t", spec: spec(), pairs: pairs)
        #expect(report.verdict.checks.map(\.result) == [.pass, .pass, .pass, .pass])
        #expect(report.verdict.decision == .promote)

        pairs[1].candidate.outcome = .failed
        let twoFailures = ShadowReport(name: "t", spec: spec(), pairs: pairs)
        #expect(twoFailures.verdict.checks[1].result == .fail)
    }

    @Test func costCheckOnlyWhenSetAndAFreePrimaryHolds() {
        let pairs = (0..<10).map { makePair($0, primaryCost: "0.001", candidateCost: "0.002") }
        #expect(!ShadowReport(name: "t", spec: spec(), pairs: pairs).verdict.checks.contains { $0.name == "costRatio" })
        let costly = ShadowReport(name: "t", spec: spec(maxCostRatio: 1.5), pairs: pairs)
        #expect(costly.verdict.checks.last?.actual == 2)
        #expect(costly.verdict.checks.last?.result == .fail)

        let freePrimary = (0..<10).map { makePair($0, primaryCost: "0", candidateCost: "0.002") }
        let free = ShadowReport(name: "t", spec: spec(maxCostRatio: 10), pairs: freePrimary)
        #expect(free.verdict.checks.last?.result == .fail)
        #expect(free.verdict.decision == .hold)
        #expect(free.text(console: .capturing()).contains("  ✗ cost per request ratio  –      ≤ 10.00×  (the primary cost nothing and the candidate does not)\n"))
        let bothFree = (0..<10).map { makePair($0, primaryCost: "0", candidateCost: "0") }
        #expect(ShadowReport(name: "t", spec: spec(maxCostRatio: 1), pairs: bothFree).verdict.decision == .promote)
    }

    @Test func unstreamedTrafficLeavesTTFTUnmeasuredWithoutHolding() {
        let pairs = (0..<10).map { makePair($0, ttft: (nil, nil)) }
        let report = ShadowReport(name: "t", spec: spec(), pairs: pairs)
        #expect(report.verdict.checks[2].result == .unmeasured)
        #expect(report.verdict.decision == .promote)
        #expect(report.verdict.summary.hasSuffix("not measured: TTFT p95 ratio"))
    }

    // MARK: Examples

    @Test func examplesLowestAgreementFirstThenATypicalPair() {
        let agreements = [0.9, 0.2, 0.95, 0.5, 0.1, 0.99, 0.7, 0.85, 0.3]
        let pairs = agreements.enumerated().map { makePair($0.offset, agreement: $0.element, prompt: "question \($0.offset)") }
        let examples = ShadowReport(name: "t", spec: spec(), pairs: pairs).examples
        #expect(examples.map(\.agreement) == [0.1, 0.2, 0.3, 0.5, 0.7])
        #expect(examples.map(\.kind) == [.lowest, .lowest, .lowest, .lowest, .typical])

        let three = ShadowReport(name: "t", spec: spec(), pairs: Array(pairs.prefix(3))).examples
        #expect(three.map(\.agreement) == [0.2, 0.9, 0.95])

        // A prompt repeated in the traffic is shown once, at its lowest agreement.
        let repeated = agreements.enumerated().map { makePair($0.offset, agreement: $0.element, prompt: "q\($0.offset % 2)") }
        #expect(ShadowReport(name: "t", spec: spec(), pairs: repeated).examples.map(\.agreement) == [0.1, 0.2])
    }

    @Test func examplesCarryAWordDiffAndATruncatedPrompt() throws {
        let long = String(repeating: "word ", count: 200)
        let pair = makePair(0, prompt: long, primaryText: "The capital of France is Paris.",
                            candidateText: "The capital of France was Paris, France.")
        let example = try #require(ShadowReport(name: "t", spec: spec(), pairs: [pair]).examples.first)
        #expect(example.prompt?.count == ShadowReport.promptLimit)
        #expect(example.diff == [
            .init(kind: .same, text: "The capital of France"), .init(kind: .removed, text: "is"),
            .init(kind: .added, text: "was"), .init(kind: .same, text: "Paris."), .init(kind: .added, text: "France."),
        ])
        let plain = ShadowReport(name: "t", spec: spec(), pairs: [pair]).text(console: .capturing())
        #expect(plain.contains("The capital of France [-is-] {+was+} Paris. {+France.+}"))
        let coloured = ShadowReport(name: "t", spec: spec(), pairs: [pair]).text(console: .capturing(isTerminal: true))
        #expect(coloured.contains("\u{1B}[31mis\u{1B}[0m \u{1B}[32mwas\u{1B}[0m"))
        #expect(!coloured.contains("[-"))
        let noColor = ShadowReport(name: "t", spec: spec(), pairs: [pair])
            .text(console: .capturing(environment: ["NO_COLOR": "1"], isTerminal: true))
        #expect(!noColor.contains("\u{1B}["))
    }

    @Test func zeroRetentionPairsSayTheTextWasNotRetained() throws {
        let pairs = (0..<10).map { makePair($0, agreement: 0.5, prompt: nil, primaryText: nil, candidateText: nil) }
        let report = ShadowReport(name: "t", spec: spec(), pairs: pairs)
        let example = try #require(report.examples.first)
        #expect(!example.retained && example.diff.isEmpty && example.prompt == nil)
        #expect(report.text(console: .capturing()).contains("text not retained (zero-retention route)"))
        #expect(report.html().contains("Text not retained (zero-retention route)"))
        #expect(report.agreement.meanAgreement == 0.5)
    }

    // MARK: Renderings

    @Test func terminalTextShowsTableHistogramAndChecks() {
        var pairs = (0..<20).map { makePair($0, agreement: $0 < 4 ? 0.45 : 0.95) }
        pairs[3].primary.model = "gpt-4o-mini"
        let text = ShadowReport(name: "canary", spec: spec(), pairs: pairs).text(console: .capturing())
        #expect(text.hasPrefix("Shadow test canary: route chat → candidate llama-3-70b (sample 10%)\n20 pairs from "))
        #expect(text.contains("MEASURE               PRIMARY                       CANDIDATE    CANDIDATE ÷ PRIMARY\n"))
        #expect(text.contains("model                 gpt-4o (19), gpt-4o-mini (1)  llama-3-70b\n"))
        #expect(text.contains("cost per 1k requests  $1.00"))
        #expect(text.contains("  0.4–0.5  ███████▌                        4\n"))
        #expect(text.contains("  0.9–1.0  ██████████████████████████████  16\n"))
        #expect(text.contains("Verdict: HOLD — 1 of 4 checks fails: agreement 0.85 < 0.90\n  ✗ agreement"))
        #expect(text.contains("  ✓ candidate error rate  0%     ≤ 1%\n"))
    }

    @Test func jsonIsValidAndCarriesTheNumbers() throws {
        let pairs = (0..<12).map { makePair($0, agreement: 0.95, primaryText: "a b c", candidateText: "a x c") }
        let json = try ShadowReport(name: "t", spec: spec(maxCostRatio: 1), pairs: pairs).json()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["name"] as? String == "t")
        #expect(object["pairs"] as? Int == 12)
        let primary = try #require(object["primary"] as? [String: Any])
        #expect(primary["costPer1kRequests"] as? String == "1")
        #expect((primary["latencyMilliseconds"] as? [String: Any])?["p95"] as? Double == 1000)
        let verdict = try #require(object["verdict"] as? [String: Any])
        #expect(verdict["decision"] as? String == "promote")
        #expect((verdict["checks"] as? [[String: Any]])?.count == 5)
        let histogram = try #require((object["agreement"] as? [String: Any])?["histogram"] as? [[String: Any]])
        #expect(histogram.count == 10 && histogram[9]["pairs"] as? Int == 12)
        let example = try #require((object["examples"] as? [[String: Any]])?.first)
        #expect(example["diff"] as? [[String: String]] == [
            ["kind": "same", "text": "a"], ["kind": "removed", "text": "b"], ["kind": "added", "text": "x"], ["kind": "same", "text": "c"],
        ])
        #expect((object["thresholds"] as? [String: Any])?["minAgreement"] as? Double == 0.9)
    }

    @Test func htmlEscapesEverythingFromPairs() {
        let hostile = "<script>alert('x')</script> & \"quoted\""
        let pair = makePair(0, prompt: hostile, primaryText: "use <b>bold</b> & more", candidateText: "use <i>it</i> & more")
        let html = ShadowReport(name: "a<b", spec: spec(), pairs: [pair]).html()
        #expect(!html.contains("<script"))
        #expect(!html.contains("<b>bold") && !html.contains("<i>it"))
        #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quoted&quot;"))
        #expect(html.contains("<del>&lt;b&gt;bold&lt;/b&gt;</del> <ins>&lt;i&gt;it&lt;/i&gt;</ins>"))
        #expect(html.contains("Shadow test <span class=\"name\">a&lt;b</span>"))
    }

    @Test func htmlIsOneSelfContainedPage() {
        let html = ShadowReport(name: "canary", spec: spec(), pairs: realisticPairs()).html()
        #expect(html.hasPrefix("<!doctype html>"))
        #expect(html.components(separatedBy: "<svg ").count - 1 == 5)
        #expect(!html.contains("<script") && !html.contains("<link") && !html.contains("src=") && !html.contains("url("))
        #expect(html.contains("class=\"banner hold\""))
    }

    /// The page as a person sees it: Chromium renders it to a PNG kept under artifacts/ for review.
    @Test func htmlRendersInChromium() throws {
        let chromium = try #require(Chromium.path, "needs headless Chromium; scripts/bootstrap.sh installs it")
        let report = ShadowReport(name: "canary-llama", spec: spec(maxCostRatio: 1), pairs: realisticPairs())
        let artifacts = try Chromium.artifacts()
        try withTemporaryDirectory { folder in
            let page = try writeFile(folder, "shadow-report.html", report.html())
            try Data(report.html().utf8).write(to: artifacts.appendingPathComponent("shadow-report.html"))
            let blankPage = try writeFile(folder, "blank.html", "<!doctype html><html><body></body></html>")
            let png = artifacts.appendingPathComponent("shadow-report.png").path
            let blank = (folder as NSString).appendingPathComponent("blank.png")
            try? FileManager.default.removeItem(atPath: png)
            try Chromium.screenshot(chromium, page: page, to: png, home: folder)
            try Chromium.screenshot(chromium, page: blankPage, to: blank, home: folder)

            let image = try Data(contentsOf: URL(fileURLWithPath: png))
            #expect(image.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
            #expect(String(decoding: image[12..<16], as: UTF8.self) == "IHDR")
            let width = image[16..<20].reduce(0) { $0 << 8 | Int($1) }, height = image[20..<24].reduce(0) { $0 << 8 | Int($1) }
            #expect(width == 1200 && height == 2000)
            let blankSize = try Data(contentsOf: URL(fileURLWithPath: blank)).count
            #expect(image.count > 4 * blankSize, "the report's PNG (\(image.count) bytes) is hardly bigger than a blank page's (\(blankSize))")
        }
    }
}

// MARK: - Fixtures

private func spec(maxCostRatio: Double? = nil) -> ShadowTestSpec {
    ShadowTestSpec(route: "chat", candidate: "llama-3-70b", sampleRate: 0.1, maxRequests: nil, until: nil,
                   thresholds: .init(maxCostRatio: maxCostRatio))
}

private func decimal(_ text: String) -> Decimal {
    Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) ?? .nan
}

private func makePair(_ index: Int, agreement: Double = 0.95, primaryMs: Double = 1000, candidateMs: Double = 1000,
                      ttft: (Double?, Double?) = (200, 200), primaryCost: String = "0.001", candidateCost: String = "0.0005",
                      candidateFailed: Bool = false, prompt: String? = "Say hello", primaryText: String? = "Hello there",
                      candidateText: String? = "Hello there") -> ShadowPair {
    func side(_ model: String, _ ms: Double, _ ttft: Double?, _ cost: String, _ text: String?, failed: Bool) -> ShadowPair.Side {
        ShadowPair.Side(model: model, upstream: "u", status: failed ? 500 : 200, outcome: failed ? .failed : .completed,
                        ttftMilliseconds: ttft, durationMilliseconds: ms, promptTokens: 10, completionTokens: 20, cost: cost,
                        text: failed ? nil : text, toolCalls: nil)
    }
    return ShadowPair(
        test: "t", requestID: String(format: "req-%03d", index), at: String(format: "2026-05-01T10:%02d:00Z", index % 60),
        route: "chat", prompt: prompt,
        primary: side("gpt-4o", primaryMs, ttft.0, primaryCost, primaryText, failed: false),
        candidate: side("llama-3-70b", candidateMs, ttft.1, candidateCost, candidateText, failed: candidateFailed),
        measures: .init(exactMatch: agreement == 1, similarity: agreement, lengthRatio: 1, jsonAgreement: true, toolCallAgreement: true,
                        agreement: agreement)
    )
}

/// Forty pairs as a chat route would record them: mostly close answers, a few that drift, one JSON
/// answer the candidate breaks, one candidate failure and one zero-retention pair.
private func realisticPairs() -> [ShadowPair] {
    let conversations: [(prompt: String, primary: String, candidate: String)] = [
        ("What is the capital of Australia?", "The capital of Australia is Canberra.", "The capital of Australia is Canberra."),
        ("Summarise: the meeting moved to Thursday because the venue flooded.",
         "The meeting was moved to Thursday after the venue flooded.", "The meeting moved to Thursday because the venue was flooded."),
        ("Translate 'good morning' into French.", "Bonjour.", "Bonjour !"),
        ("List the three primary colours.", "Red, yellow and blue.", "Red, yellow and blue."),
        ("What is 12 × 12?", "12 × 12 = 144.", "12 × 12 = 144."),
        ("Write a haiku about autumn.", "Crimson leaves drifting / the cold wind hums through bare trees / evening comes early",
         "Golden leaves falling / a quiet wind through the pines / the year exhales slow"),
        ("Is 97 prime?", "Yes, 97 is a prime number.", "Yes. 97 is prime: it has no divisors other than 1 and itself."),
        ("Return the user as JSON: name Ada, age 36", #"{"name": "Ada", "age": 36}"#, #"Sure! {"name": "Ada", "age": 36}"#),
        ("How do I reverse a list in Python?", "Use my_list.reverse() to reverse in place, or my_list[::-1] for a reversed copy.",
         "Call my_list.reverse() to reverse it in place, or use my_list[::-1] to get a reversed copy."),
        ("Explain HTTP 429 in one sentence.", "429 Too Many Requests means the client has sent too many requests in a given time.",
         "HTTP 429 means you are being rate limited: too many requests in a short time."),
        ("Which is larger, 9.11 or 9.9?", "9.9 is larger than 9.11.", "9.11 is larger than 9.9."),
        ("Give me a synonym for 'quick' & explain <em>why</em>.", "\"Rapid\" — it means moving with speed.",
         "\"Swift\" — it means happening quickly."),
    ]
    var generator = SeededGenerator(seed: 7)
    var pairs: [ShadowPair] = []
    for index in 0..<40 {
        let conversation = conversations[index % conversations.count]
        let primaryMs = Double.random(in: 700...2600, using: &generator)
        let candidateMs = primaryMs * Double.random(in: 0.8...1.2, using: &generator)
        let primaryTTFT = Double.random(in: 140...420, using: &generator)
        let candidateTTFT = primaryTTFT * Double.random(in: 0.75...1.15, using: &generator)
        let similarity = TextAgreement.similarity(conversation.primary, conversation.candidate)
        let isJSON = conversation.prompt.contains("JSON")
        let tokens = Int.random(in: 12...180, using: &generator)
        let candidateTokens = max(1, Int(Double(tokens) * Double.random(in: 0.8...1.3, using: &generator)))
        func cost(_ tokens: Int, perMillion: Decimal) -> String {
            (Decimal(tokens + 40) * perMillion / 1_000_000).description
        }
        let retained = index != 17
        let failed = index == 23
        pairs.append(ShadowPair(
            test: "canary-llama", requestID: String(format: "chatcmpl-%04d", 1000 + index),
            at: String(format: "2026-05-01T%02d:%02d:00Z", 9 + index / 10, (index * 7) % 60), route: "chat",
            prompt: retained ? conversation.prompt : nil,
            primary: .init(model: index % 9 == 4 ? "gpt-4o-mini" : "gpt-4o", upstream: "openai", status: 200, outcome: .completed,
                           ttftMilliseconds: primaryTTFT, durationMilliseconds: primaryMs, promptTokens: 40, completionTokens: tokens,
                           cost: cost(tokens, perMillion: 10), text: retained ? conversation.primary : nil, toolCalls: nil),
            candidate: .init(model: "llama-3-70b", upstream: "vllm-a", status: failed ? 503 : 200, outcome: failed ? .failed : .completed,
                             ttftMilliseconds: failed ? nil : candidateTTFT, durationMilliseconds: failed ? 40 : candidateMs,
                             promptTokens: 40, completionTokens: failed ? 0 : candidateTokens,
                             cost: failed ? "0" : cost(candidateTokens, perMillion: 2.5),
                             text: retained && !failed ? conversation.candidate : nil, toolCalls: nil),
            measures: .init(exactMatch: conversation.primary == conversation.candidate, similarity: similarity,
                            lengthRatio: Double(candidateTokens) / Double(tokens), jsonAgreement: !isJSON, toolCallAgreement: true,
                            agreement: isJSON ? 0 : similarity)
        ))
    }
    return pairs
}

/// Repeatable pseudo-random numbers (SplitMix64), so the rendered page is the same on every run.
private struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Headless Chromium, where installed.
