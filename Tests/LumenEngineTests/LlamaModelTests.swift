import Foundation
import LumenTestSupport
import Testing
@testable import LumenEngine

@Suite struct LlamaModelTests {
    /// Writes `writer` and loads it.
    func load(_ writer: GGUFWriter, in dir: String, _ name: String) throws -> LlamaModel {
        try writer.write(to: "\(dir)/\(name).gguf")
        return try LlamaModel(file: try GGUFFile(path: "\(dir)/\(name).gguf"))
    }

    func logits(_ model: LlamaModel, _ tokens: [Int]) throws -> [Float] {
        var cache = LlamaModel.Cache(model: model)
        var last: [Float] = []
        for token in tokens { last = try model.step(token, cache: &cache) }
        return last
    }

    func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
    }

    let prompt = [1, 300, 301, 302, 310, 320, 330, 299, 305]

    @Test func greedyDecodingIsDeterministicAndFollowsThePrompt() throws {
        try withTemporaryDirectory { dir in
            let model = try load(TinyModel().writer(), in: dir, "tiny")
            let first = try model.greedy(prompt, maxTokens: 24)
            #expect(first.count == 24)
            #expect(try model.greedy(prompt, maxTokens: 24) == first)
            #expect(try model.greedy([1, 400, 401], maxTokens: 24) != first)
            // Each step's choice is the argmax of the logits after the prompt plus what came before it.
            #expect(LlamaModel.argmax(try logits(model, prompt + Array(first.prefix(5)))) == first[5])
        }
    }

    /// Grouped-query attention: 2 key/value heads shared by 4 query heads answer exactly as 4
    /// key/value heads that copy them.
    @Test func groupedQueryAttentionEqualsRepeatedKeyValueHeads() throws {
        try withTemporaryDirectory { dir in
            let grouped = TinyModel().writer()
            var repeated = grouped
            repeated.set("llama.attention.head_count_kv", .uint32(4))
            let headRows = 16 * 64
            for index in repeated.tensors.indices where repeated.tensors[index].name.hasSuffix("attn_k.weight") || repeated.tensors[index].name.hasSuffix("attn_v.weight") {
                let values = repeated.tensors[index].values
                repeated.tensors[index].values = (0..<4).flatMap { head in values[((head / 2) * headRows)..<((head / 2 + 1) * headRows)] }
                repeated.tensors[index].dimensions = [64, 64]
            }
            let a = try logits(try load(grouped, in: dir, "grouped"), prompt)
            let b = try logits(try load(repeated, in: dir, "repeated"), prompt)
            #expect(maxDifference(a, b) < 1e-4)
        }
    }

    /// The two rotary layouts agree: a qwen2 model (halves) whose query and key rows are permuted
    /// to put each llama pair (2i, 2i+1) at (i, i + d/2) answers as the llama model does.
    @Test func bothRotaryLayoutsAgreeUnderTheMatchingPermutation() throws {
        try withTemporaryDirectory { dir in
            let llama = TinyModel().writer()
            var qwen = GGUFWriter()
            qwen.metadata = llama.metadata.map { entry in
                (entry.key.hasPrefix("llama.") ? "qwen2." + entry.key.dropFirst(6) : entry.key,
                 entry.key == "general.architecture" ? .string("qwen2") : entry.value)
            }
            let dimension = 16
            qwen.tensors = llama.tensors.map { tensor in
                guard tensor.name.hasSuffix("attn_q.weight") || tensor.name.hasSuffix("attn_k.weight") else { return tensor }
                var permuted = tensor
                let columns = tensor.dimensions[0], rows = tensor.dimensions[1]
                for row in 0..<rows {
                    let (head, within) = (row / dimension, row % dimension)
                    let source = head * dimension + (within < dimension / 2 ? 2 * within : 2 * (within - dimension / 2) + 1)
                    permuted.values.replaceSubrange((row * columns)..<((row + 1) * columns), with: tensor.values[(source * columns)..<((source + 1) * columns)])
                }
                return permuted
            }
            let a = try logits(try load(llama, in: dir, "llama"), prompt)
            let b = try logits(try load(qwen, in: dir, "qwen"), prompt)
            #expect(maxDifference(a, b) < 1e-4)
        }
    }

    @Test func halfAndEightBitWeightsStayCloseToFullPrecision() throws {
        try withTemporaryDirectory { dir in
            var model = TinyModel()
            let full = try logits(try load(model.writer(), in: dir, "f32"), prompt)
            model.weightType = .f16
            #expect(maxDifference(full, try logits(try load(model.writer(), in: dir, "f16"), prompt)) < 0.01)
            model.weightType = .q8_0
            let eight = try logits(try load(model.writer(), in: dir, "q8"), prompt)
            #expect(maxDifference(full, eight) < 0.1)
            #expect(LlamaModel.argmax(full) == LlamaModel.argmax(eight))
        }
    }

    @Test func unusableModelsAndRequestsAreRefusedWithWhy() throws {
        try withTemporaryDirectory { dir in
            var writer = TinyModel().writer()
            writer.set("general.architecture", .string("phi3"))
            #expect { try load(writer, in: dir, "phi3") } throws: { "\($0)".contains("phi3") && "\($0)".contains("llama and qwen2") }
            writer = TinyModel().writer()
            writer.tensors.removeAll { $0.name == "blk.1.ffn_up.weight" }
            #expect { try load(writer, in: dir, "missing") } throws: { "\($0)".contains("blk.1.ffn_up.weight") }
            var small = TinyModel()
            small.context = 4
            let model = try load(small.writer(), in: dir, "short")
            #expect { try model.greedy([1, 300, 301], maxTokens: 8) } throws: { "\($0)".contains("context of 4 tokens") }
            var cache = LlamaModel.Cache(model: model)
            #expect { try model.step(1_000_000, cache: &cache) } throws: { "\($0)".contains("outside the vocabulary") }
        }
    }
}
