import Foundation
import LumenJinja

/// Compiles and renders in one step, with the fixtures' fixed clock.
func render(_ source: String, _ context: [String: TemplateValue] = [:], limits: RenderLimits = .default)
    throws(TemplateError) -> String
{
    try ChatTemplateRenderer(source: source, limits: limits).render(context, now: Fixtures.now, timeZone: Fixtures.utc)
}

/// The error rendering `source` throws, if any.
func renderError(_ source: String, _ context: [String: TemplateValue] = [:], limits: RenderLimits = .default)
    -> TemplateError?
{
    do {
        _ = try render(source, context, limits: limits)
        return nil
    } catch {
        return error
    }
}
