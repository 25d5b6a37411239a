import LumenRouting
import Testing

@Suite struct TextAgreementTests {
    @Test func similarityIgnoresCaseAndPunctuationButNotWords() {
        #expect(TextAgreement.similarity("Paris is the capital.", "paris is the capital") == 1)
        #expect(TextAgreement.similarity("", "") == 1)
        #expect(TextAgreement.similarity("one two", "") == 0)
        // 3 of 4 words shared on each side: 2·3 / 8.
        #expect(TextAgreement.similarity("the cat sat down", "the cat sat up") == 0.75)
        #expect(TextAgreement.similarity("a b c", "c b a") < 0.7, "order matters")
    }

    @Test func diffTurnsThePrimaryIntoTheCandidate() {
        let steps = TextAgreement.diff("the quick brown fox", "the slow brown fox jumps")
        #expect(steps == [.same("the"), .added("slow"), .removed("quick"), .same("brown"), .same("fox"), .added("jumps")]
                || steps == [.same("the"), .removed("quick"), .added("slow"), .same("brown"), .same("fox"), .added("jumps")])
        let primary = steps.compactMap { step -> String? in
            switch step {
            case .same(let word), .removed(let word): word
            case .added: nil
            }
        }
        #expect(primary.joined(separator: " ") == "the quick brown fox")
        #expect(TextAgreement.diff("", "new words") == [.added("new"), .added("words")])
    }
}
