/// Summaries of measured values, shared by `bench` and the shadow report so both read percentiles alike.
enum Statistics {
    /// Nearest rank: the smallest value with at least `p` of the samples at or below it; nil for no samples.
    static func percentile(_ values: [Double], _ p: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let rank = Int((Double(sorted.count) * p).rounded(.up))
        return sorted[min(sorted.count - 1, max(0, rank - 1))]
    }

    static func mean(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }
}
