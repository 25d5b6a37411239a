import Foundation
import LumenTestSupport
import Testing
@testable import LumenEngine

/// Inputs from the GGUF fuzzer (Fuzz/GGUF), or standing for what it found: each crashed the reader
/// (a trap or a stack overflow) or made it reserve more than the file could hold, before it refused
/// them with an error.
@Suite struct GGUFFuzzRegressionTests {
    /// Little-endian GGUF v3 bytes built by hand, so a test can say exactly what is corrupt.
    struct Bytes {
        var data: [UInt8] = []
        mutating func u32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { data += $0 } }
        mutating func u64(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { data += $0 } }
        mutating func string(_ text: String) { u64(UInt64(text.utf8.count)); data += Array(text.utf8) }

        static func header(tensors: UInt64, metadata: UInt64) -> Bytes {
            var bytes = Bytes()
            bytes.data = Array("GGUF".utf8)
            bytes.u32(3)
            bytes.u64(tensors)
            bytes.u64(metadata)
            return bytes
        }

        /// One tensor's info: name, dimensions, type, offset.
        mutating func tensor(_ name: String, _ dimensions: [UInt64], type: UInt32 = 0, offset: UInt64 = 0) {
            string(name)
            u32(UInt32(dimensions.count))
            for dimension in dimensions { u64(dimension) }
            u32(type)
            u64(offset)
        }
    }

    static func error(_ bytes: Bytes) -> String? {
        do {
            _ = try GGUFFile(bytes: bytes.data, name: "fuzz.gguf")
            return nil
        } catch {
            return error.description
        }
    }

    @Test func dimensionsWhoseProductOverflowsAreRefused() {
        // Found by the fuzzer: 2^40 × 2^40 values trapped while the reader checked the tensor fits.
        var bytes = Bytes.header(tensors: 1, metadata: 0)
        bytes.tensor("token_embd.weight", [1 << 40, 1 << 40])
        bytes.data += [UInt8](repeating: 0, count: 64)
        let message = Self.error(bytes)
        #expect(message?.contains("tensor token_embd.weight has dimensions") == true, "\(message ?? "accepted")")
    }

    @Test func anOffsetNearIntMaxIsRefusedAsTruncation() {
        var bytes = Bytes.header(tensors: 1, metadata: 0)
        bytes.tensor("output.weight", [4], offset: UInt64(Int.max - 31))
        bytes.data += [UInt8](repeating: 0, count: 64)
        let message = Self.error(bytes)
        #expect(message?.contains("is truncated: tensor output.weight needs bytes up to more than") == true, "\(message ?? "accepted")")
    }

    @Test func deeplyNestedArraysAreRefusedWithoutOverflowingTheStack() {
        // 200,000 arrays of one array each: the reader recursed once per level and ran out of stack.
        let depth = 200_000
        var bytes = Bytes.header(tensors: 0, metadata: 1)
        bytes.string("test.nested")
        bytes.u32(9) // array
        for _ in 0..<depth {
            bytes.u32(9) // of arrays
            bytes.u64(1) // holding one
        }
        bytes.u32(0)
        bytes.u64(0)
        let message = Self.error(bytes)
        #expect(message?.contains("nests arrays more than \(GGUFFormat.maxArrayDepth) deep") == true, "\(message ?? "accepted")")
    }

    @Test func anArrayLongerThanTheRestOfTheFileIsRefused() {
        var bytes = Bytes.header(tensors: 0, metadata: 1)
        bytes.string("tokenizer.ggml.scores")
        bytes.u32(9)
        bytes.u32(6) // float32: four bytes each
        bytes.u64(64)
        bytes.data += [UInt8](repeating: 0, count: 64)
        let message = Self.error(bytes)
        #expect(message?.contains("the length of tokenizer.ggml.scores is 64") == true, "\(message ?? "accepted")")
    }

    @Test func bytesInMemoryReadLikeTheFile() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/tiny.gguf"
            let writer = GGUFTests.sample()
            try writer.write(to: path)
            let fromFile = try GGUFFile(path: path)
            let fromBytes = try GGUFFile(bytes: try Data(contentsOf: URL(fileURLWithPath: path)))
            #expect(fromBytes.metadata.map(\.key) == fromFile.metadata.map(\.key))
            #expect(fromBytes.tensors == fromFile.tensors)
            for tensor in fromFile.tensors { #expect(try fromBytes.floats(tensor.name) == fromFile.floats(tensor.name)) }
            #expect(throws: GGUFError.self) { try GGUFFile(bytes: [UInt8]()) }
        }
    }
}
