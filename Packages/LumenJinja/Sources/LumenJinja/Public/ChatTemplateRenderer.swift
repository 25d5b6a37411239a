public import Foundation

/// A compiled chat template: parse once when the model loads, render per request.
///
/// It renders as Hugging Face transformers does (`ImmutableSandboxedEnvironment` with
/// `trim_blocks`, `lstrip_blocks` and loop controls, plus `raise_exception`,
/// `strftime_now` and a key-order-keeping `tojson`), which is also what vLLM and
/// llama.cpp aim for.
public struct ChatTemplateRenderer: Sendable {
    /// The template text as given.
    public let source: String
    public let limits: RenderLimits
    private let template: Template

    /// Parses `source`; a syntax error names the line and column.
    public init(source: String, limits: RenderLimits = .default) throws(TemplateError) {
        self.source = source
        self.limits = limits
        template = try Parser.parse(source)
    }

    /// Renders with `context` as the template's variables.
    ///
    /// - Parameters:
    ///   - now: what `strftime_now` reads; pass a fixed date for reproducible output.
    ///   - timeZone: the zone `strftime_now` formats in (transformers uses local time).
    public func render(_ context: [String: TemplateValue], now: Date = Date(), timeZone: TimeZone = .current)
        throws(TemplateError) -> String
    {
        var variables: [String: Value] = [:]
        for (name, value) in context {
            variables[name] = try Value(value)
        }
        let evaluator = Evaluator(context: variables, limits: limits, now: now, timeZone: timeZone)
        return try evaluator.render(template)
    }
}
