/// The OpenAI endpoints the gateway forwards.
enum Endpoint: String, Sendable {
    case chatCompletions = "/chat/completions"
    case completions = "/completions"
    case embeddings = "/embeddings"

    var canStream: Bool { self != .embeddings }
}
