import Foundation
import LumenTestSupport
import Testing
@testable import LumenEngine

@Suite struct GGUFTests {
    static func sample() -> GGUFWriter {
        var writer = GGUFWriter()
        writer.set("general.architecture", .string("llama"))
        writer.set("general.name", .string("tiny – ünïcode"))
        writer.set("llama.block_count", .uint32(2))
        writer.set("llama.attention.layer_norm_rms_epsilon", .float32(1e-5))
        writer.set("test.values", .array(.int8, [.int8(-3), .int8(7)]))
        writer.set("test.empty", .array(.string, []))
        writer.set("test.nested", .array(.array, [.array(.uint16, [.uint16(1)]), .array(.uint16, [])]))
        writer.set("test.flags", .array(.bool, [.bool(true), .bool(false)]))
        writer.set("test.big", .uint64(1 << 40))
        writer.set("test.negative", .int64(-5))
        writer.set("test.double", .float64(2.5))
        writer.set("tokenizer.ggml.tokens", .array(.string, ["<s>", "</s>", "hello", " world"].map(GGUFValue.string)))
        let ramp = (0..<64).map { Float($0) / 8 - 4 }
        writer.tensors = [
            .init(name: "token_embd.weight", dimensions: [8, 8], type: .f32, values: ramp),
            .init(name: "output_norm.weight", dimensions: [8], type: .f16, values: Array(ramp.prefix(8))),
            .init(name: "blk.0.attn_q.weight", dimensions: [32, 2], type: .q8_0, values: ramp),
        ]
        return writer
    }

    @Test func writesAndReadsBackMetadataAndTensors() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/tiny.gguf"
            let writer = Self.sample()
            try writer.write(to: path)
            let file = try GGUFFile(path: path)
            #expect(file.version == 3)
            #expect(file.metadata.map(\.key) == writer.metadata.map(\.key))
            for (key, value) in writer.metadata { #expect(file[key] == value, "\(key)") }
            #expect(file["general.name"]?.stringValue == "tiny – ünïcode")
            #expect(file.tensors.map(\.name) == writer.tensors.map(\.name))
            #expect(file.tensors.allSatisfy { $0.offset % file.alignment == 0 } && file.dataOffset % file.alignment == 0)
            #expect(file.tensor("token_embd.weight")?.dimensions == [8, 8])
            let ramp = writer.tensors[0].values
            #expect(try file.floats("token_embd.weight") == ramp)
            // Half precision holds these eighths exactly.
            #expect(try file.floats("output_norm.weight") == Array(ramp.prefix(8)))
            // Q8_0 is within half a step of its block's scale (max |x| / 127).
            let quantized = try file.floats("blk.0.attn_q.weight")
            for block in 0..<2 {
                let values = ramp[(block * 32)..<(block * 32 + 32)]
                let step = (values.map(abs).max() ?? 0) / 127
                for (index, value) in values.enumerated() {
                    #expect(abs(quantized[block * 32 + index] - value) <= step / 2 + 1e-3)
                }
            }
        }
    }

    @Test func honoursACustomAlignment() throws {
        try withTemporaryDirectory { dir in
            var writer = Self.sample()
            writer.alignment = 64
            try writer.write(to: dir + "/aligned.gguf")
            let file = try GGUFFile(path: dir + "/aligned.gguf")
            #expect(file.alignment == 64)
            #expect(file.dataOffset % 64 == 0 && file.tensors.allSatisfy { $0.offset % 64 == 0 })
            #expect(try file.floats("token_embd.weight") == writer.tensors[0].values)
        }
    }

    @Test func truncatedFilesFailWithWhere() throws {
        try withTemporaryDirectory { dir in
            let whole = try Self.sample().encoded()
            // Cut inside the header, inside a string, and inside the last tensor's data.
            // (The last tensor is 68 bytes padded to 96: cutting 40 cuts into its data.)
            for length in [6, 30, 120, whole.count - 40] {
                let path = dir + "/cut-\(length).gguf"
                try whole.prefix(length).write(to: URL(fileURLWithPath: path))
                #expect {
                    try GGUFFile(path: path)
                } throws: { error in
                    "\(error)".contains("truncated") && "\(error)".contains("again")
                }
            }
        }
    }

    @Test func notGGUFCorruptOrMissingFilesSaySo() throws {
        try withTemporaryDirectory { dir in
            func failure(_ bytes: Data) -> String {
                let path = dir + "/bad-\(UUID().uuidString).gguf"
                try? bytes.write(to: URL(fileURLWithPath: path))
                do {
                    _ = try GGUFFile(path: path)
                    return "opened"
                } catch {
                    return error.description
                }
            }
            #expect(failure(Data("{\"not\": \"gguf\"}".utf8)).contains("not a GGUF file"))
            #expect(failure(Data()).contains("is empty"))
            var whole = try Self.sample().encoded()
            whole[4] = 9
            #expect(failure(whole).contains("version 9"))
            whole = try Self.sample().encoded()
            // A tensor count of 2^40.
            whole.replaceSubrange(8..<16, with: [0, 0, 0, 0, 0, 1, 0, 0])
            #expect(failure(whole).contains("corrupt"))
            #expect {
                try GGUFFile(path: dir + "/missing.gguf")
            } throws: { error in
                "\(error)".contains("cannot open") && "\(error)".contains("No such file")
            }
        }
    }

    @Test func anUnsupportedTensorTypeIsNamed() throws {
        try withTemporaryDirectory { dir in
            var bytes = try Self.sample().encoded()
            // Rewrite the first tensor's type (after its name, rank and two dimensions) to Q4_K.
            let name = Data("token_embd.weight".utf8)
            let start = try #require(bytes.range(of: name)).upperBound
            let typeAt = start + 4 + 2 * 8  // rank (UInt32), then two UInt64 dimensions
            bytes.replaceSubrange(typeAt..<(typeAt + 4), with: [12, 0, 0, 0])
            try bytes.write(to: URL(fileURLWithPath: dir + "/q4k.gguf"))
            let file = try GGUFFile(path: dir + "/q4k.gguf")
            #expect(file.tensor("token_embd.weight")?.type.description == "Q4_K")
            #expect {
                try file.floats("token_embd.weight")
            } throws: { error in
                "\(error)".contains("Q4_K") && "\(error)".contains("F32, F16, Q8_0")
            }
            #expect(throws: GGUFError.self) { try file.floats("no.such.tensor") }
        }
    }
}
