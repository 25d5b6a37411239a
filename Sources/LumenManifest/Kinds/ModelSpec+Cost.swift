public import Foundation

extension ModelSpec.Pricing {
    /// USD for one request, exact: uncached input, cached input and output each at their price per
    /// million tokens. The gateway bills with it and `lumenctl costs` prices what-ifs with it, so
    /// the two never disagree.
    public func cost(prompt: Int, completion: Int, cached: Int) -> Decimal {
        let uncached = Decimal(max(0, prompt - cached))
        return (uncached * inputPerMTok.amount + Decimal(cached) * cachedInputPerMTok.amount
            + Decimal(completion) * outputPerMTok.amount) / Decimal(1_000_000)
    }
}
