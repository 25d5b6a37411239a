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

/// The tokenizer a GGUF file's `tokenizer.ggml.model` names: `llama` (SentencePiece) or `gpt2`
/// (byte-level BPE).
public func loadTokenizer(gguf file: GGUFFile) throws(TokenizerError) -> any TextTokenizer {
    switch file["tokenizer.ggml.model"]?.stringValue {
    case "llama": return try SentencePieceTokenizer(gguf: file)
    case "gpt2": return try BPETokenizer(gguf: file)
    case let other:
        throw TokenizerError("\(file.path) uses tokenizer \(other ?? "(none)"); lumen-engine reads SentencePiece (llama) and "
                             + "byte-level BPE (gpt2) vocabularies, as Llama 2, Mistral, Llama 3, Qwen2 and SmolLM models have; use a model with one of those")
    }
}

/// Whether a prompt starts with the BOS token, as llama.cpp decides: `tokenizer.ggml.add_bos_token`,
/// or without it, yes for SentencePiece and Llama 3's BPE vocabularies, no for other BPE ones (Qwen2).
public func addsBOSToken(gguf file: GGUFFile) -> Bool {
    if let declared = file["tokenizer.ggml.add_bos_token"]?.boolValue { return declared }
    guard file["tokenizer.ggml.model"]?.stringValue == "gpt2" else { return true }
    return (try? BPETokenizer.PreTokenizer(ggufName: file["tokenizer.ggml.pre"]?.stringValue)) == .llama3
}

extension SentencePieceTokenizer: TextTokenizer {
    public var count: Int { pieces.count }

    public func encode(_ text: String, atStart: Bool) -> [Int] { encode(text, addSpacePrefix: atStart) }

    public func decode(_ tokens: [Int]) -> String { decode(tokens, stripLeadingSpace: false) }

    public var controlTokens: [(id: Int, text: String)] {
        pieces.indices.filter { types[$0] == .control && !pieces[$0].isEmpty }.map { ($0, pieces[$0]) }
    }
}
