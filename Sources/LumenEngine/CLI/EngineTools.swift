import ArgumentParser
import Foundation
import LumenAPI

/// `lumen-engine generate`: greedy tokens for a prompt, as JSON, to compare with a reference engine.
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the prompt's tokens and the greedy continuation's tokens and text, as JSON.",
        discussion: "The prompt is tokenized as llama.cpp does with add_bos: BOS where the model asks for it (tokenizer.ggml.add_bos_token), then the text (with a space in front for a SentencePiece vocabulary). scripts/llama-reference.sh compares this with llama.cpp."
    )

    @Option(help: ArgumentHelp("The GGUF model file.", valueName: "file"))
    var model: String
    @Option(help: "The prompt text.")
    var prompt: String
    @Option(help: "How many tokens to generate (the end-of-sequence token does not stop it).")
    var maxTokens = 16

    func run() throws {
        let file = try GGUFFile(path: model)
        let llama = try LlamaModel(file: file)
        let tokenizer = try loadTokenizer(gguf: file)
        let bos = addsBOSToken(gguf: file) ? [file["tokenizer.ggml.bos_token_id"]?.intValue ?? 1] : []
        let tokens = bos + tokenizer.encode(prompt, atStart: true)
        let generated = try llama.greedy(tokens, maxTokens: maxTokens)
        let answer: JSONValue = .map([
            .init("prompt_tokens", .list(tokens.map { .number(String($0)) })),
            .init("tokens", .list(generated.map { .number(String($0)) })),
            .init("text", .string(tokenizer.decode(generated))),
        ])
        print(answer.json(pretty: false))
    }
}

/// `lumen-engine tiny-model`: writes a small seeded model, for tests, benchmarks and the quickstart.
struct TinyModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tiny-model",
        abstract: "Write a small llama-family GGUF model with seeded random weights and a small real vocabulary."
    )

    @Option(help: ArgumentHelp("Where to write the .gguf file.", valueName: "file"))
    var output: String
    @Option(help: "llama or qwen2.")
    var architecture = "llama"
    @Option(help: "How the weight matrices are stored: f32, f16 or q8_0.")
    var type = "f32"
    @Option(help: "The vocabulary: spm (SentencePiece, as Llama 2 and Mistral) or bpe (byte-level BPE, as Llama 3 and Qwen2).")
    var tokenizer = "spm"
    @Option(help: "Hidden size.")
    var embedding = 64
    @Option(help: "Transformer blocks.")
    var layers = 2
    @Option(help: "Context length in tokens.")
    var context = 512
    @Option(help: "Attention heads (default: one per 16 dimensions).")
    var heads: Int?
    @Option(help: "Key/value heads, grouped-query attention (default: half the heads).")
    var kvHeads: Int?
    @Option(help: "The weights' seed. Models with the same seed share the tensors they both have.")
    var seed: UInt64 = 1
    @Option(help: "Scale of what blocks after the first add to the residual stream; below 1 a --layers 1 model of the same seed drafts well for this one.")
    var laterLayerScale: Float = 1

    func validate() throws {
        guard TinyModel.Architecture(rawValue: architecture) != nil else { throw ValidationError("--architecture takes llama or qwen2.") }
        guard ["f32", "f16", "q8_0"].contains(type) else { throw ValidationError("--type takes f32, f16 or q8_0.") }
        guard TinyModel.TokenizerKind(rawValue: tokenizer) != nil else {
            throw ValidationError("--tokenizer takes spm (SentencePiece) or bpe (byte-level BPE), not \(tokenizer).")
        }
        guard context >= 16 else { throw ValidationError("--context must be at least 16 tokens.") }
        let heads = self.heads ?? max(1, embedding / 16), kvHeads = self.kvHeads ?? max(1, heads / 2)
        guard heads >= 1, embedding % heads == 0, (embedding / heads) % 2 == 0, kvHeads >= 1, heads % kvHeads == 0 else {
            throw ValidationError("--heads must divide --embedding into an even head size, and --kv-heads must divide --heads.")
        }
        guard embedding >= 32, embedding % 32 == 0, layers >= 1 else {
            throw ValidationError("--embedding must be a multiple of 32 (32 or more) and --layers at least 1.")
        }
    }

    func run() throws {
        var model = TinyModel()
        model.architecture = TinyModel.Architecture(rawValue: architecture) ?? .llama
        model.tokenizer = TinyModel.TokenizerKind(rawValue: tokenizer) ?? .sentencePiece
        model.weightType = ["f16": .f16, "q8_0": .q8_0][type] ?? .f32
        model.embedding = embedding
        model.heads = heads ?? max(1, embedding / 16)
        model.kvHeads = kvHeads ?? max(1, model.heads / 2)
        model.feedForward = embedding * 2
        model.layers = layers
        model.context = context
        model.seed = seed
        model.laterLayerScale = laterLayerScale
        try model.writer().write(to: output)
        print("wrote \(output)")
    }
}
