/// The input a format's dot product takes: the activation row encoded as ggml's `vec_dot_type` for
/// that weight type, in ggml's own block layout (so the bytes are what ggml would hand its kernels).
enum InputEncoding: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// 4-byte floats, unchanged.
    case f32
    /// IEEE half precision, rounded to nearest even.
    case f16
    /// bfloat16, rounded to nearest even.
    case bf16
    /// Blocks of 32: half scale d, 32 signed bytes (34 bytes).
    case q8_0
    /// Blocks of 32: half scale d, half s = d × Σq, 32 signed bytes (36 bytes).
    case q8_1
    /// Blocks of 256: float scale d, 256 signed bytes, 16 Int16 sums of 16 quants (292 bytes).
    case q8_K

    /// Values per block and bytes per block.
    var layout: (values: Int, bytes: Int) {
        switch self {
        case .f32: (1, 4)
        case .f16: (1, 2)
        case .bf16: (1, 2)
        case .q8_0: (32, 34)
        case .q8_1: (32, 36)
        case .q8_K: (256, 292)
        }
    }

    var description: String {
        switch self {
        case .f32: "F32"
        case .f16: "F16"
        case .bf16: "BF16"
        case .q8_0: "Q8_0"
        case .q8_1: "Q8_1"
        case .q8_K: "Q8_K"
        }
    }
}

/// A GGUF weight format: its block layout, how to dequantise it, and its dot product with an input
/// row already encoded as the format's `input`, computed as ggml computes it.
///
/// Weights are read in place (memory-mapped tensor data, any alignment) with unaligned loads.
protocol WeightFormat: Sendable {
    /// The GGUF/ggml type number.
    static var typeNumber: UInt32 { get }
    /// ggml's name for the type, e.g. "Q4_K".
    static var name: String { get }
    /// Values per block: 32 or 256; 1 for F32, F16 and BF16.
    static var blockValues: Int { get }
    /// Bytes per block.
    static var blockBytes: Int { get }
    /// The encoding the dot product takes its input in (ggml's `vec_dot_type`).
    static var input: InputEncoding { get }

    /// Dequantises `blocks` blocks at `source` into `output` (`blocks × blockValues` floats), exactly as
    /// ggml's `dequantize_row_*`.
    static func dequantize(_ source: UnsafeRawPointer, blocks: Int, into output: UnsafeMutablePointer<Float>)

    /// The dot product of one weight row (`blocks` blocks at `row`) with one input row encoded as `input`.
    static func dot(_ row: UnsafeRawPointer, _ quantisedInput: UnsafeRawPointer, blocks: Int) -> Float

    /// One weight row against `count` encoded input rows `inputStride` bytes apart: the product with
    /// input `t` goes to `output[t * outputStride]`. Each result is bit for bit what `dot` gives for
    /// that input alone; the weight row is read once per group of inputs.
    static func dot(_ row: UnsafeRawPointer, inputs: UnsafeRawPointer, inputStride: Int, count: Int, blocks: Int,
                    into output: UnsafeMutablePointer<Float>, outputStride: Int)

    /// Rows `rows` of a matrix whose rows are `rowBytes` apart at `weights`, times `count` inputs:
    /// row r with input t goes to `output[t * outputStride + r]`. Bit for bit what `dot` gives.
    /// Formats with a register-tiled kernel (several rows at once) implement it; the others take the
    /// default, one row at a time.
    static func multiply(rows: Range<Int>, of weights: UnsafeRawPointer, rowBytes: Int, inputs: UnsafeRawPointer, inputStride: Int,
                         count: Int, blocks: Int, into output: UnsafeMutablePointer<Float>, outputStride: Int)

    /// `dot` by the portable kernel, whichever one `dot` uses in this build (for checking the AVX2
    /// kernels against it: in a `LUMEN_FUSED_SIMD` build the two agree bit for bit).
    static func portableDot(_ row: UnsafeRawPointer, _ quantisedInput: UnsafeRawPointer, blocks: Int) -> Float
}

extension WeightFormat {
    static func multiply(rows: Range<Int>, of weights: UnsafeRawPointer, rowBytes: Int, inputs: UnsafeRawPointer, inputStride: Int,
                         count: Int, blocks: Int, into output: UnsafeMutablePointer<Float>, outputStride: Int) {
        for r in rows {
            dot(weights + r * rowBytes, inputs: inputs, inputStride: inputStride, count: count, blocks: blocks, into: output + r,
                outputStride: outputStride)
        }
    }

    /// Bytes that `values` values take, or nil when `values` is not a whole number of blocks.
    static func byteCount(values: Int) -> Int? {
        guard values >= 0, values % blockValues == 0 else { return nil }
        return values / blockValues * blockBytes
    }

    /// Values held by `bytes` bytes, or nil when `bytes` is not a whole number of blocks.
    static func valueCount(bytes: Int) -> Int? {
        guard bytes >= 0, bytes % blockBytes == 0 else { return nil }
        return bytes / blockBytes * blockValues
    }
}

/// The formats this engine computes with, by GGUF type number.
enum WeightFormats {
    static var all: [any WeightFormat.Type] {
        [
            F32Format.self, F16Format.self, BF16Format.self,
            Q4_0Format.self, Q4_1Format.self, Q5_0Format.self, Q5_1Format.self, Q8_0Format.self,
            Q2_KFormat.self, Q3_KFormat.self, Q4_KFormat.self, Q5_KFormat.self, Q6_KFormat.self,
        ]
    }

    /// The format of GGUF type `type`, or nil when this engine cannot compute with it.
    static func format(forType type: UInt32) -> (any WeightFormat.Type)? {
        all.first { $0.typeNumber == type }
    }

    /// The format called `name` (ggml's spelling, any case), or nil.
    static func format(named name: String) -> (any WeightFormat.Type)? {
        all.first { $0.name.lowercased() == name.lowercased() }
    }

    /// The supported type names, for error messages: "F32, F16, BF16, Q4_0, …".
    static var supportedNames: [String] { all.map { $0.name } }

    /// "F32, F16, … and Q6_K".
    static var supportedList: String {
        let names = supportedNames
        return names.dropLast().joined(separator: ", ") + " and " + names.last!
    }
}
