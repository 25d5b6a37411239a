/// A unified diff of two texts, line by line, with three lines of context.
enum LineDiff {
    enum Edit: Equatable {
        case same(String), removed(String), added(String)
    }

    static func edits(_ old: [String], _ new: [String]) -> [Edit] {
        // Longest common subsequence by dynamic programming; manifests are short.
        let n = old.count, m = new.count
        var lengths = Array(repeating: Array(repeating: 0, count: m + 1), count: n + 1)
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in stride(from: m - 1, through: 0, by: -1) {
                lengths[i][j] = old[i] == new[j] ? lengths[i + 1][j + 1] + 1 : max(lengths[i + 1][j], lengths[i][j + 1])
            }
        }
        var edits: [Edit] = []
        var i = 0, j = 0
        while i < n || j < m {
            if i < n, j < m, old[i] == new[j] {
                edits.append(.same(old[i])); i += 1; j += 1
            } else if i < n, j == m || lengths[i + 1][j] >= lengths[i][j + 1] {
                // Removals before additions, as unified diffs show them.
                edits.append(.removed(old[i])); i += 1
            } else {
                edits.append(.added(new[j])); j += 1
            }
        }
        return edits
    }

    /// Hunks in unified format; empty when the texts are equal.
    static func unified(old: String, new: String, oldLabel: String, newLabel: String, console: Console, context: Int = 3) -> String {
        let oldLines = old.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).dropLastEmpty()
        let newLines = new.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).dropLastEmpty()
        let edits = edits(oldLines, newLines)
        guard edits.contains(where: { if case .same = $0 { false } else { true } }) else { return "" }

        var out = console.styled("--- \(oldLabel)", .bold) + "\n" + console.styled("+++ \(newLabel)", .bold) + "\n"
        let changed = edits.indices.filter { if case .same = edits[$0] { false } else { true } }
        var groups: [ClosedRange<Int>] = []
        for index in changed {
            let range = max(0, index - context)...min(edits.count - 1, index + context)
            if let last = groups.last, range.lowerBound <= last.upperBound + 1 {
                groups[groups.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                groups.append(range)
            }
        }
        for group in groups {
            var oldStart = 1, newStart = 1
            for edit in edits[..<group.lowerBound] {
                switch edit {
                case .same: oldStart += 1; newStart += 1
                case .removed: oldStart += 1
                case .added: newStart += 1
                }
            }
            let slice = edits[group]
            let oldCount = slice.filter { if case .added = $0 { false } else { true } }.count
            let newCount = slice.filter { if case .removed = $0 { false } else { true } }.count
            out += console.styled("@@ -\(oldCount == 0 ? oldStart - 1 : oldStart),\(oldCount) +\(newCount == 0 ? newStart - 1 : newStart),\(newCount) @@", .cyan) + "\n"
            for edit in slice {
                switch edit {
                case .same(let line): out += " " + line + "\n"
                case .removed(let line): out += console.styled("-" + line, .red) + "\n"
                case .added(let line): out += console.styled("+" + line, .green) + "\n"
                }
            }
        }
        return out
    }
}

extension Array where Element == String {
    fileprivate func dropLastEmpty() -> [String] {
        last == "" ? Array(dropLast()) : self
    }
}
