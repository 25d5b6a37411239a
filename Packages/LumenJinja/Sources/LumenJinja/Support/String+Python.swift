/// Python's `str` methods, over Unicode scalars (Python's characters are code points).
extension String {
    var scalarCount: Int { unicodeScalars.count }

    /// `str.strip(chars)`; nil strips whitespace.
    func pythonStrip(_ characters: String?, leading: Bool = true, trailing: Bool = true) -> String {
        let scalars = Array(unicodeScalars)
        let set = characters.map { Set($0.unicodeScalars) }
        let strip: (Unicode.Scalar) -> Bool = { scalar in
            if let set { return set.contains(scalar) }
            return scalar.isPythonWhitespace
        }
        var start = 0
        var end = scalars.count
        if leading {
            while start < end && strip(scalars[start]) { start += 1 }
        }
        if trailing {
            while end > start && strip(scalars[end - 1]) { end -= 1 }
        }
        return String(scalars: scalars[start..<end])
    }

    /// `str.split(sep, maxsplit)`; nil splits on runs of whitespace and drops empty ends.
    func pythonSplit(_ separator: String?, maxSplits: Int = -1) -> [String] {
        let scalars = Array(unicodeScalars)
        guard let separator else {
            var parts: [String] = []
            var index = 0
            while index < scalars.count {
                while index < scalars.count && scalars[index].isPythonWhitespace { index += 1 }
                guard index < scalars.count else { break }
                if maxSplits >= 0 && parts.count == maxSplits {
                    var end = scalars.count
                    while end > index && scalars[end - 1].isPythonWhitespace { end -= 1 }
                    parts.append(String(scalars: scalars[index..<end]))
                    break
                }
                let start = index
                while index < scalars.count && !scalars[index].isPythonWhitespace { index += 1 }
                parts.append(String(scalars: scalars[start..<index]))
            }
            return parts
        }
        let pattern = Array(separator.unicodeScalars)
        var parts: [String] = []
        var start = 0
        var index = 0
        while index + pattern.count <= scalars.count {
            if maxSplits >= 0 && parts.count == maxSplits { break }
            if scalars[index..<index + pattern.count].elementsEqual(pattern) {
                parts.append(String(scalars: scalars[start..<index]))
                index += pattern.count
                start = index
            } else {
                index += 1
            }
        }
        parts.append(String(scalars: scalars[start...]))
        return parts
    }

    /// `str.rsplit(sep, maxsplit)`.
    func pythonRightSplit(_ separator: String?, maxSplits: Int = -1) -> [String] {
        guard maxSplits >= 0 else { return pythonSplit(separator) }
        let reversedText = String(scalars: unicodeScalars.reversed())
        let reversedSeparator = separator.map { String(scalars: $0.unicodeScalars.reversed()) }
        return reversedText.pythonSplit(reversedSeparator, maxSplits: maxSplits)
            .reversed().map { String(scalars: $0.unicodeScalars.reversed()) }
    }

    /// `str.splitlines(keepends)`.
    func pythonSplitLines(keepEnds: Bool = false) -> [String] {
        let scalars = Array(unicodeScalars)
        var lines: [String] = []
        var start = 0
        var index = 0
        while index < scalars.count {
            guard scalars[index].isPythonLineBreak else {
                index += 1
                continue
            }
            var end = index + 1
            if scalars[index] == "\r" && end < scalars.count && scalars[end] == "\n" { end += 1 }
            lines.append(String(scalars: scalars[start..<(keepEnds ? end : index)]))
            start = end
            index = end
        }
        if start < scalars.count { lines.append(String(scalars: scalars[start...])) }
        return lines
    }

    /// `str.replace(old, new, count)`.
    func pythonReplace(_ old: String, _ new: String, count: Int = -1) -> String {
        let scalars = Array(unicodeScalars)
        let pattern = Array(old.unicodeScalars)
        var result = String.UnicodeScalarView()
        var replaced = 0
        if pattern.isEmpty {
            // Python inserts `new` between every character and at both ends.
            for scalar in scalars {
                if count < 0 || replaced < count {
                    result.append(contentsOf: new.unicodeScalars)
                    replaced += 1
                }
                result.append(scalar)
            }
            if count < 0 || replaced < count { result.append(contentsOf: new.unicodeScalars) }
            return String(result)
        }
        var index = 0
        while index < scalars.count {
            if (count < 0 || replaced < count), index + pattern.count <= scalars.count,
                scalars[index..<index + pattern.count].elementsEqual(pattern)
            {
                result.append(contentsOf: new.unicodeScalars)
                index += pattern.count
                replaced += 1
            } else {
                result.append(scalars[index])
                index += 1
            }
        }
        return String(result)
    }

    /// `str.find(sub)`: the scalar offset of the first occurrence at or after `start`, or -1.
    func pythonFind(_ part: String, from start: Int = 0, reverse: Bool = false) -> Int {
        let scalars = Array(unicodeScalars)
        let pattern = Array(part.unicodeScalars)
        let first = max(start < 0 ? start + scalars.count : start, 0)
        guard pattern.count <= scalars.count - first else { return -1 }
        let candidates = Array(first...(scalars.count - pattern.count))
        for index in reverse ? candidates.reversed() : candidates
        where scalars[index..<index + pattern.count].elementsEqual(pattern) {
            return index
        }
        return -1
    }

    /// Occurrences of `part` that do not overlap, as `str.count`.
    func pythonCount(_ part: String) -> Int {
        let pattern = Array(part.unicodeScalars)
        let scalars = Array(unicodeScalars)
        if pattern.isEmpty { return scalars.count + 1 }
        var count = 0
        var index = 0
        while index + pattern.count <= scalars.count {
            if scalars[index..<index + pattern.count].elementsEqual(pattern) {
                count += 1
                index += pattern.count
            } else {
                index += 1
            }
        }
        return count
    }

    /// `str.title()`: a letter after a non-letter is upper case, others lower.
    var pythonTitle: String {
        var result = ""
        var previousIsCased = false
        for scalar in unicodeScalars {
            let text = String(scalar)
            if scalar.isCased {
                result += previousIsCased ? text.lowercased() : text.uppercased()
                previousIsCased = true
            } else {
                result += text
                previousIsCased = false
            }
        }
        return result
    }

    /// `str.capitalize()`: the first character upper case, the rest lower.
    var pythonCapitalize: String {
        guard let first = unicodeScalars.first else { return "" }
        return String(first).uppercased() + String(scalars: unicodeScalars.dropFirst()).lowercased()
    }
}
