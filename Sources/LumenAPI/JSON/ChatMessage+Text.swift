extension JSONValue {
    /// The text of a message's `content`: a string, or the `text` parts of an array of parts.
    public var messageText: String {
        switch self {
        case .string(let text): return text
        case .list(let parts): return parts.compactMap { $0["text"]?.stringValue }.joined()
        default: return ""
        }
    }
}
