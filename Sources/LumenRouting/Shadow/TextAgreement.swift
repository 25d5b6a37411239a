/// Word-level comparison of two answers: the similarity a shadow test scores and the word diff
/// its report shows. Both come from one alignment (the longest common subsequence of words), so
/// the diff a person reads is the one the score was computed from.
public enum TextAgreement {
    /// One step of a word diff, in the primary's words where they match.
    public enum Step: Sendable, Hashable {
        case same(String)
        /// Only the primary said it.
        case removed(String)
        /// Only the candidate said it.
        case added(String)
    }

    /// Longer answers are compared on their first this many words: the alignment is quadratic.
    public static let maxWords = 1500

    /// Words split on whitespace.
    public static func words(_ text: String) -> [Substring] {
        text.split(whereSeparator: { $0.isWhitespace })
    }

    /// A word as compared: lower case, letters and digits only (punctuation and case do not count).
    public static func normalised(_ word: Substring) -> String {
        String(word.lowercased().unicodeScalars.filter { $0.properties.isAlphabetic || $0.properties.numericType != nil }
            .map(Character.init))
    }

    /// 2·matched ÷ (words in both), over normalised words, in [0, 1]; two empty answers are 1.
    public static func similarity(_ primary: String, _ candidate: String) -> Double {
        let left = comparable(primary), right = comparable(candidate)
        if left.isEmpty && right.isEmpty { return 1 }
        let matched = commonLength(left, right)
        return 2 * Double(matched) / Double(left.count + right.count)
    }

    /// The primary turned into the candidate, word by word.
    public static func diff(_ primary: String, _ candidate: String) -> [Step] {
        let left = Array(words(primary).prefix(maxWords)), right = Array(words(candidate).prefix(maxWords))
        let table = lcsTable(left.map(normalised), right.map(normalised))
        var steps: [Step] = []
        var i = 0, j = 0
        let width = right.count + 1
        while i < left.count || j < right.count {
            if i < left.count && j < right.count && normalised(left[i]) == normalised(right[j]) {
                steps.append(.same(String(left[i])))
                i += 1
                j += 1
            } else if j < right.count && (i == left.count || table[i * width + j + 1] >= table[(i + 1) * width + j]) {
                steps.append(.added(String(right[j])))
                j += 1
            } else {
                steps.append(.removed(String(left[i])))
                i += 1
            }
        }
        return steps
    }

    private static func comparable(_ text: String) -> [String] {
        words(text).prefix(maxWords).map(normalised).filter { !$0.isEmpty }
    }

    static func commonLength(_ left: [String], _ right: [String]) -> Int {
        guard !left.isEmpty, !right.isEmpty else { return 0 }
        // One row at a time: memory linear in the shorter answer.
        var previous = [Int32](repeating: 0, count: right.count + 1)
        var current = previous
        for word in left {
            for (j, other) in right.enumerated() {
                current[j + 1] = word == other ? previous[j] + 1 : max(previous[j + 1], current[j])
            }
            swap(&previous, &current)
        }
        return Int(previous[right.count])
    }

    /// Suffix LCS lengths: `table[i * (m + 1) + j]` is the LCS of `left[i...]` and `right[j...]`.
    private static func lcsTable(_ left: [String], _ right: [String]) -> [Int32] {
        let width = right.count + 1
        var table = [Int32](repeating: 0, count: (left.count + 1) * width)
        for i in stride(from: left.count - 1, through: 0, by: -1) {
            for j in stride(from: right.count - 1, through: 0, by: -1) {
                table[i * width + j] = left[i] == right[j]
                    ? table[(i + 1) * width + j + 1] + 1
                    : max(table[(i + 1) * width + j], table[i * width + j + 1])
            }
        }
        return table
    }
}
