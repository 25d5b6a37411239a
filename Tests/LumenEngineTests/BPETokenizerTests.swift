import Foundation
import LumenTestSupport
import Testing
@testable import LumenEngine

@Suite struct BPETokenizerTests {
    private func words(_ text: String, _ pre: BPETokenizer.PreTokenizer) -> [String] {
        pre.words(text).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func llama3CutsContractionsDigitGroupsPunctuationAndWhitespace() {
        #expect(words("I'll say DON'T", .llama3) == ["I", "'ll", " say", " DON", "'T"])
        #expect(words("'Twas", .llama3) == ["'T", "was"])
        #expect(words("12345 678", .llama3) == ["123", "45", " ", "678"])
        #expect(words("wait!!! ok", .llama3) == ["wait", "!!!", " ok"])
        #expect(words("hi !!\n\nyo", .llama3) == ["hi", " !!\n\n", "yo"])
        #expect(words("a  \n\n b", .llama3) == ["a", "  \n\n", " b"])
        #expect(words("a   b  ", .llama3) == ["a", "  ", " b", "  "])
        #expect(words("héllo wörld", .llama3) == ["héllo", " wörld"])
        #expect(words("🚀 go 🚀🚀", .llama3) == ["🚀", " go", " 🚀🚀"])
        #expect(words("\tx\ny", .llama3) == ["\tx", "\n", "y"])
        #expect(words("", .llama3) == [])
    }

    @Test func qwen2CutsEveryDigitAlone() {
        #expect(words("12345", .qwen2) == ["1", "2", "3", "4", "5"])
        #expect(words("I'll say DON'T", .qwen2) == ["I", "'ll", " say", " DON", "'T"])
        #expect(words("a  \n\n b!!!", .qwen2) == ["a", "  \n\n", " b", "!!!"])
        #expect(words("héllo 日本語 🚀", .qwen2) == ["héllo", " 日本語", " 🚀"])
    }

    @Test func gpt2KeepsASpaceWithTheNextWordAndKnowsOnlyLowerCaseContractions() {
        #expect(words("I'll say DON'T", .gpt2) == ["I", "'ll", " say", " DON", "'", "T"])
        #expect(words("'twas", .gpt2) == ["'t", "was"])
        #expect(words("'Twas", .gpt2) == ["'", "Twas"])
        #expect(words("12345 678", .gpt2) == ["12345", " 678"])
        #expect(words("a  \n\n b", .gpt2) == ["a", "  \n\n", " b"])
        #expect(words("hello world!!!", .gpt2) == ["hello", " world", "!!!"])
        #expect(words("a\nb", .gpt2) == ["a", "\n", "b"])
        // SmolLM cuts out every digit first; the default cuts punctuation runs, then groups of three digits.
        #expect(words("abc 123", .smollm) == ["abc", " ", "1", "2", "3"])
        #expect(words("a+b=12345.", .default) == ["a", "+", "b", "=", "123", "45", "."])
    }

    /// The 256 byte pieces, then `extra` normal pieces and `special` ones.
    private func vocabulary(_ extra: [String], merges: [String], special: [(String, BPETokenizer.TokenType)] = [],
                            pre: BPETokenizer.PreTokenizer = .gpt2) throws -> BPETokenizer {
        let bytes = ByteAlphabet.order.map { String(ByteAlphabet.scalars[Int($0)]) }
        return try BPETokenizer(pieces: bytes + extra + special.map(\.0),
                                types: Array(repeating: .normal, count: bytes.count + extra.count) + special.map(\.1),
                                merges: merges, preTokenizer: pre)
    }

    private func pieces(_ tokenizer: BPETokenizer, _ text: String) -> [String] {
        tokenizer.encode(text).map { tokenizer.pieces[$0] }
    }

    @Test func mergesApplyByRankLowestFirstThenLeftmost() throws {
        let tokenizer = try vocabulary(["ll", "he", "llo", "hello", "bc", "ab", "aa", "Ġhello", "Ġh"],
                                       merges: ["l l", "h e", "ll o", "he llo", "b c", "a b", "a a", "Ġ h", "Ġh ello", "Ġ hello"])
        #expect(pieces(tokenizer, "hello") == ["hello"])
        #expect(pieces(tokenizer, "hell") == ["he", "ll"])
        // "b c" outranks "a b" though it lies to the right.
        #expect(pieces(tokenizer, "abc") == ["a", "bc"])
        // A tie goes to the leftmost pair.
        #expect(pieces(tokenizer, "aaa") == ["aa", "a"])
        // " hello" is one word: "Ġ hello" (rank 9) comes last; in " hell", "h e" (rank 1) takes the
        // "h" that "Ġ h" (rank 7) wanted, so that pair is dropped when its turn comes.
        #expect(pieces(tokenizer, " hello") == ["Ġhello"])
        #expect(pieces(tokenizer, " hell") == ["Ġ", "he", "ll"])
        #expect(tokenizer.decode(tokenizer.encode(" hello")) == " hello")
    }

    @Test func llama3TakesAWholeWordTokenWithoutMerging() throws {
        let merges = ["a b"]
        #expect(pieces(try vocabulary(["ab", "abc"], merges: merges, pre: .llama3), "abc") == ["abc"])
        #expect(pieces(try vocabulary(["ab", "abc"], merges: merges, pre: .qwen2), "abc") == ["ab", "c"])
    }

    @Test func aMergedPieceOutsideTheVocabularyIsSpeltInBytes() throws {
        let tokenizer = try vocabulary([], merges: ["x y"])
        #expect(pieces(tokenizer, "xy") == ["x", "y"])
    }

    @Test func userDefinedTokensAreReadInTextAndControlTokensAreNot() throws {
        let tokenizer = try vocabulary([], merges: [], special: [("<tool>", .userDefined), ("<|end|>", .control)])
        let tool = tokenizer.pieces.firstIndex(of: "<tool>")!, end = tokenizer.pieces.firstIndex(of: "<|end|>")!
        #expect(tokenizer.encode("x<tool>y") == [tokenizer.encode("x")[0], tool, tokenizer.encode("y")[0]])
        #expect(!tokenizer.encode("<|end|>").contains(end))
        #expect(tokenizer.decode(tokenizer.encode("x<tool>y") + [end]) == "x<tool>y")
        #expect(tokenizer.controlTokens.map(\.text) == ["<|end|>"])
    }

    @Test func theTinyModelsVocabularyRoundTripsAnyText() throws {
        let vocabulary = TinyModel.bpeVocabulary()
        for pre in BPETokenizer.PreTokenizer.allCases {
            let tokenizer = try BPETokenizer(pieces: vocabulary.pieces, types: vocabulary.types, merges: vocabulary.merges, preTokenizer: pre)
            for text in ["hello the model", "Hello, world! What's a replica?", "I'll DON'T we've", "12345 + 6.78 = 1e9",
                         "a  \n\n b\r\n\tc   ", "héllo wörld café 日本語", "🚀 emoji 👩‍👩‍👧 flags 🇫🇷", "e\u{301} ﬁ \u{0}\u{1}\u{7F}\u{85}\u{A0}\u{AD}",
                         "   ", "\n", "", String(repeating: "the ", count: 200)] {
                #expect(tokenizer.decode(tokenizer.encode(text)) == text, "\(pre): \(text.debugDescription)")
            }
            // Bytes in no merge are byte tokens, one per UTF-8 byte; a cut-off character decodes as U+FFFD.
            let rocket = tokenizer.encode("🚀")
            #expect(rocket.map { tokenizer.pieces[$0] } == ["ð", "Ł", "ļ", "Ģ"])
            #expect(tokenizer.decode(Array(rocket.prefix(3))) == "\u{FFFD}")
        }
    }

    @Test func anUnknownPreTokenizerOrTokenizerModelIsRefusedByName() throws {
        try withTemporaryDirectory { dir in
            var model = TinyModel()
            model.tokenizer = .bpe
            var writer = model.writer()
            writer.set("tokenizer.ggml.pre", .string("klingon"))
            try writer.write(to: dir + "/klingon.gguf")
            #expect {
                try loadTokenizer(gguf: try GGUFFile(path: dir + "/klingon.gguf"))
            } throws: { error in
                "\(error)".contains("\"klingon\"") && "\(error)".contains("llama-bpe") && "\(error)".contains("qwen2")
            }
            writer.set("tokenizer.ggml.model", .string("t5"))
            try writer.write(to: dir + "/t5.gguf")
            #expect {
                try loadTokenizer(gguf: try GGUFFile(path: dir + "/t5.gguf"))
            } throws: { error in
                "\(error)".contains("t5") && "\(error)".contains("(llama)") && "\(error)".contains("(gpt2)")
            }
            #expect(throws: TokenizerError.self) { try BPETokenizer.PreTokenizer(ggufName: "gpt-4o") }
            // llama.cpp's name for GPT-2's pre-tokenizer is "gpt-2"; it refuses "gpt2" as unknown too.
            #expect(try BPETokenizer.PreTokenizer(ggufName: "gpt-2") == .gpt2)
            #expect(throws: TokenizerError.self) { try BPETokenizer.PreTokenizer(ggufName: "gpt2") }
            #expect(try BPETokenizer.PreTokenizer(ggufName: nil) == .default)
        }
    }

    @Test func aTinyBPEModelIsWrittenAndReadBack() throws {
        try withTemporaryDirectory { dir in
            for architecture in [TinyModel.Architecture.llama, .qwen2] {
                var model = TinyModel()
                model.architecture = architecture
                model.tokenizer = .bpe
                let path = dir + "/\(architecture).gguf"
                try model.writer().write(to: path)
                let file = try GGUFFile(path: path)
                #expect(file["tokenizer.ggml.model"]?.stringValue == "gpt2")
                #expect(file["tokenizer.ggml.pre"]?.stringValue == (architecture == .llama ? "llama-bpe" : "qwen2"))
                #expect(addsBOSToken(gguf: file) == (architecture == .llama))
                #expect(ChatTemplate.detect(file["tokenizer.chat_template"]?.stringValue ?? "") == .chatml)
                #expect((file["tokenizer.ggml.merges"]?.arrayValue?.count ?? 0) > 300)

                let tokenizer = try #require(try loadTokenizer(gguf: file) as? BPETokenizer)
                #expect(tokenizer.preTokenizer == (architecture == .llama ? .llama3 : .qwen2))
                #expect(tokenizer.count > 600 && tokenizer.count < 1_000)
                #expect(file.tensor("token_embd.weight")?.dimensions == [64, tokenizer.count])
                #expect(file.tensor("output.weight")?.dimensions == [64, tokenizer.count])
                #expect(tokenizer.controlTokens.map(\.text) == ["<|begin_of_text|>", "<|end_of_text|>", "<|im_start|>", "<|im_end|>"])
                #expect(file["tokenizer.ggml.bos_token_id"]?.intValue == tokenizer.pieces.firstIndex(of: "<|begin_of_text|>"))
                #expect(file["tokenizer.ggml.eos_token_id"]?.intValue == tokenizer.pieces.firstIndex(of: "<|im_end|>"))
                // Every word of the training list is one token, with or without a space in front.
                #expect(pieces(tokenizer, "hello the model answer") == ["hello", "Ġthe", "Ġmodel", "Ġanswer"])
                #expect(tokenizer.decode(tokenizer.encode("Hello, wörld 12!")) == "Hello, wörld 12!")
            }
            // The SentencePiece model is as it was.
            try TinyModel().writer().write(to: dir + "/spm.gguf")
            #expect(try loadTokenizer(gguf: try GGUFFile(path: dir + "/spm.gguf")) is SentencePieceTokenizer)
        }
    }
}
