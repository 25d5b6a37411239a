import Foundation
import LumenTestSupport
import Testing
@testable import LumenEngine

@Suite struct TinyModelTests {
    @Test func writesALlamaModelWithItsTokenizerAndSeededWeights() throws {
        try withTemporaryDirectory { dir in
            var model = TinyModel()
            model.weightType = .q8_0
            try model.writer().write(to: dir + "/tiny.gguf")
            let file = try GGUFFile(path: dir + "/tiny.gguf")
            #expect(file["general.architecture"]?.stringValue == "llama")
            #expect(file["llama.embedding_length"]?.intValue == 64 && file["llama.block_count"]?.intValue == 2)
            #expect(file["llama.attention.head_count_kv"]?.intValue == 2 && file["llama.rope.dimension_count"]?.intValue == 16)
            let vocab = file["tokenizer.ggml.tokens"]?.arrayValue?.count ?? 0
            #expect(file.tensor("token_embd.weight")?.dimensions == [64, vocab])
            #expect(file.tensor("blk.1.attn_k.weight")?.dimensions == [64, 32])
            #expect(file.tensor("blk.1.ffn_down.weight")?.dimensions == [128, 64])
            #expect(file.tensor("blk.0.attn_q.weight")?.type == .q8_0 && file.tensor("output_norm.weight")?.type == .f32)
            #expect(file.tensor("blk.0.attn_q.bias") == nil)
            #expect(try file.floats("output.weight").count == 64 * vocab)

            // The same seed writes the same file; another seed other weights.
            #expect(try model.writer().encoded() == (try Data(contentsOf: URL(fileURLWithPath: dir + "/tiny.gguf"))))
            model.seed = 2
            #expect(try model.writer().encoded() != (try Data(contentsOf: URL(fileURLWithPath: dir + "/tiny.gguf"))))

            // A shallower model of the same seed is the deeper one's first layers: the draft-model pairing.
            var shallow = TinyModel()
            shallow.layers = 1
            try shallow.writer().write(to: dir + "/shallow.gguf")
            var deep = TinyModel()
            deep.layers = 3
            deep.laterLayerScale = 0.1
            try deep.writer().write(to: dir + "/deep.gguf")
            let (one, three) = (try GGUFFile(path: dir + "/shallow.gguf"), try GGUFFile(path: dir + "/deep.gguf"))
            for name in ["token_embd.weight", "blk.0.attn_q.weight", "blk.0.ffn_down.weight", "output.weight"] {
                #expect(try one.floats(name) == (try three.floats(name)), "\(name)")
            }
            let quiet = try three.floats("blk.2.ffn_down.weight").map(abs).max() ?? 1
            #expect(quiet <= 0.1 / Float(128).squareRoot() && quiet > 0)

            var qwen = TinyModel()
            qwen.architecture = .qwen2
            try qwen.writer().write(to: dir + "/qwen.gguf")
            let qwenFile = try GGUFFile(path: dir + "/qwen.gguf")
            #expect(qwenFile["qwen2.block_count"]?.intValue == 2)
            #expect(qwenFile.tensor("blk.0.attn_k.bias")?.dimensions == [32])
        }
    }

    @Test func theTokenizerMergesWholeWordsAndSpellsTheRestInBytes() throws {
        try withTemporaryDirectory { dir in
            try TinyModel().writer().write(to: dir + "/tiny.gguf")
            let tokenizer = try SentencePieceTokenizer(gguf: try GGUFFile(path: dir + "/tiny.gguf"))
            let tokens = tokenizer.encode("the model answered the question")
            #expect(tokens.map { tokenizer.pieces[$0] } == ["▁the", "▁model", "▁answer", "e", "d", "▁the", "▁question"])
            for text in ["the model", "Hello, world!", "café 日本語 🚀", "  two  spaces ", "e\u{301} is not é", ""] {
                #expect(tokenizer.decode(tokenizer.encode(text), stripLeadingSpace: true) == text, "\(text)")
            }
            // Bytes outside the vocabulary become byte tokens, one per UTF-8 byte.
            let rocket = tokenizer.encode("🚀", addSpacePrefix: false)
            #expect(rocket.map { tokenizer.pieces[$0] } == ["<0xF0>", "<0x9F>", "<0x9A>", "<0x80>"])
            // Control tokens are not text.
            #expect(tokenizer.decode([1] + tokenizer.encode("hello") + [2], stripLeadingSpace: true) == "hello")
        }
    }

    @Test func aVocabularyItCannotReadIsRefused() throws {
        try withTemporaryDirectory { dir in
            var writer = TinyModel().writer()
            writer.set("tokenizer.ggml.model", .string("gpt2"))
            try writer.write(to: dir + "/bpe.gguf")
            #expect {
                try SentencePieceTokenizer(gguf: try GGUFFile(path: dir + "/bpe.gguf"))
            } throws: { error in
                "\(error)".contains("gpt2")
            }
        }
    }
}
