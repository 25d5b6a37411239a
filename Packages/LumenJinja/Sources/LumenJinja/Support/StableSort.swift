extension Array {
    /// A stable merge sort whose comparison may throw (comparing a string with a number
    /// fails in Python, so it must here). Equal items keep their order, as in Python's sort.
    func stableSorted(by areInIncreasingOrder: (Element, Element) throws(TemplateError) -> Bool) throws(TemplateError)
        -> [Element]
    {
        guard count > 1 else { return self }
        var source = self
        var target = self
        var width = 1
        while width < count {
            var start = 0
            while start < count {
                let middle = Swift.min(start + width, count)
                let end = Swift.min(start + 2 * width, count)
                var left = start
                var right = middle
                var output = start
                while left < middle && right < end {
                    // Take from the right only when strictly smaller: that keeps the sort stable.
                    if try areInIncreasingOrder(source[right], source[left]) {
                        target[output] = source[right]
                        right += 1
                    } else {
                        target[output] = source[left]
                        left += 1
                    }
                    output += 1
                }
                while left < middle {
                    target[output] = source[left]
                    left += 1
                    output += 1
                }
                while right < end {
                    target[output] = source[right]
                    right += 1
                    output += 1
                }
                start = end
            }
            swap(&source, &target)
            width *= 2
        }
        return source
    }
}
