/// What the engine needs of a model's tokenizer, whichever kind its GGUF file names.
public protocol TextTokenizer: Sendable {
    /// Vocabulary size.
    var count: Int { get }
    /// Token ids for plain `text` (no BOS, no control tokens); `atStart` says the text begins the
    /// prompt (SentencePiece puts a space in front of it then).
    func encode(_ text: String, atStart: Bool) -> [Int]
    /// The text of `tokens` (control tokens left out). An unfinished UTF-8 character at the end
    /// shows as U+FFFD, so a streamer can hold it back.
    func decode(_ tokens: [Int]) -> String
    /// Control tokens and their text (`</s>`, `<|im_end|>`), read as themselves in a prompt.
    var controlTokens: [(id: Int, text: String)] { get }
}

/// The tokenizer a GGUF file's `tokenizer.ggml.model` names.
public func loadTokenizer(gguf file: GGUFFile) throws(TokenizerError) -> any TextTokenizer {
    try SentencePieceTokenizer(gguf: file)
}

extension SentencePieceTokenizer: TextTokenizer {
    public var count: Int { pieces.count }

    public func encode(_ text: String, atStart: Bool) -> [Int] { encode(text, addSpacePrefix: atStart) }

    public func decode(_ tokens: [Int]) -> String { decode(tokens, stripLeadingSpace: false) }

    public var controlTokens: [(id: Int, text: String)] {
        pieces.indices.filter { types[$0] == .control && !pieces[$0].isEmpty }.map { ($0, pieces[$0]) }
    }
}
