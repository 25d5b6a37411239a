import Foundation
import LumenAPI
import LumenRouting
import LumenStore
import Synchronization

/// One mirrored request. The primary's half and the candidate's half arrive in either order;
/// the second completes the pair. Texts are held in memory only long enough to measure them,
/// and kept only where the route retains text.
final class ShadowTicket: Sendable {
    /// A side's record with its full answer, before retention is applied.
    struct Half: Sendable {
        var side: ShadowPair.Side
        var text: String
        /// (name, arguments) per tool call, in order.
        var toolCalls: [ToolCall]
    }

    struct ToolCall: Sendable, Hashable {
        var name: String
        var arguments: String

        static func of(_ relay: StreamRelay) -> [ToolCall] {
            relay.toolCalls.map { ToolCall(name: $0.name ?? "", arguments: $0.arguments) }
        }
    }

    let test: ShadowMirror.Test
    let requestID: String
    let at: String
    let route: String
    let retainsText: Bool
    let prompt: String?
    private let mirror: ShadowMirror
    private let halves = Mutex<(primary: Half?, candidate: Half?)>((nil, nil))

    init(test: ShadowMirror.Test, requestID: String, at: String, route: String, retainsText: Bool, prompt: String?, mirror: ShadowMirror) {
        self.test = test
        self.requestID = requestID
        self.at = at
        self.route = route
        self.retainsText = retainsText
        self.prompt = retainsText ? prompt : nil
        self.mirror = mirror
    }

    func primaryEnded(_ half: Half) {
        let both = halves.withLock { halves -> (Half, Half)? in
            halves.primary = half
            return halves.candidate.map { (half, $0) }
        }
        if let both { complete(both.0, both.1) }
    }

    func candidateEnded(_ half: Half) {
        let both = halves.withLock { halves -> (Half, Half)? in
            halves.candidate = half
            return halves.primary.map { ($0, half) }
        }
        if let both { complete(both.0, both.1) }
    }

    /// Measuring is quadratic in the answers' words: it runs in its own task, never on the
    /// request path of whichever half ended second.
    private func complete(_ primary: Half, _ candidate: Half) {
        Task.detached(priority: .low) { self.record(primary, candidate) }
    }

    private func record(_ primary: Half, _ candidate: Half) {
        var primarySide = primary.side, candidateSide = candidate.side
        if retainsText {
            primarySide.text = primary.text
            primarySide.toolCalls = Self.canonical(primary.toolCalls)
            candidateSide.text = candidate.text
            candidateSide.toolCalls = Self.canonical(candidate.toolCalls)
        }
        mirror.completed(ShadowPair(test: test.name, requestID: requestID, at: at, route: route, prompt: prompt,
                                    primary: primarySide, candidate: candidateSide,
                                    measures: Self.measures(primary, candidate)))
    }

    static func measures(_ primary: Half, _ candidate: Half) -> ShadowPair.Measures {
        let similarity = TextAgreement.similarity(primary.text, candidate.text)
        let json = isJSON(primary.text) == isJSON(candidate.text)
        let tools = canonical(primary.toolCalls) == canonical(candidate.toolCalls)
        let ratio = primary.side.completionTokens > 0
            ? Double(candidate.side.completionTokens) / Double(primary.side.completionTokens) : nil
        return ShadowPair.Measures(
            exactMatch: primary.text == candidate.text && tools, similarity: similarity, lengthRatio: ratio,
            jsonAgreement: json, toolCallAgreement: tools, agreement: json && tools ? similarity : 0)
    }

    /// An answer that is a JSON object or array (what a JSON mode or schema asks for).
    static func isJSON(_ text: String) -> Bool {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.first == "{" || trimmed.first == "[" else { return false }
        return (try? JSONValue(json: trimmed)) != nil
    }

    /// Tool calls as JSON with their arguments parsed and keys sorted, so two models that send the
    /// same call with keys in another order agree; nil when there are none.
    static func canonical(_ calls: [ToolCall]) -> String? {
        guard !calls.isEmpty else { return nil }
        return JSONValue.list(calls.map { call in
            let arguments = (try? JSONValue(json: call.arguments)).map(sortedKeys) ?? .string(call.arguments)
            return .map([.init("name", .string(call.name)), .init("arguments", arguments)])
        }).json(pretty: false)
    }

    private static func sortedKeys(_ value: JSONValue) -> JSONValue {
        switch value {
        case .map(let entries): .map(entries.sorted { $0.key < $1.key }.map { .init($0.key, sortedKeys($0.value)) })
        case .list(let items): .list(items.map(sortedKeys))
        default: value
        }
    }
}
