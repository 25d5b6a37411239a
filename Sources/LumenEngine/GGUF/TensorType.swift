/// ggml tensor types as GGUF numbers them. Lumen reads and writes F32, F16 and Q8_0; the others
/// are recognised by name, so an error can say which one a file uses.
public struct TensorType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt32

    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    public static let f32 = TensorType(rawValue: 0)
    public static let f16 = TensorType(rawValue: 1)
    public static let q8_0 = TensorType(rawValue: 8)

    static let names: [UInt32: String] = [
        0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0", 9: "Q8_1", 10: "Q2_K", 11: "Q3_K",
        12: "Q4_K", 13: "Q5_K", 14: "Q6_K", 15: "Q8_K", 16: "IQ2_XXS", 17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S", 20: "IQ4_NL",
        21: "IQ3_S", 22: "IQ2_S", 23: "IQ4_XS", 24: "I8", 25: "I16", 26: "I32", 27: "I64", 28: "F64", 29: "IQ1_M", 30: "BF16",
    ]

    public var description: String { Self.names[rawValue] ?? "type \(rawValue)" }

    /// The types this engine computes with.
    public static let supported: [TensorType] = [.f32, .f16, .q8_0]

    public var isSupported: Bool { Self.supported.contains(self) }

    /// Values per block and bytes per block (F32 and F16 are blocks of one value).
    var layout: (values: Int, bytes: Int)? {
        switch self {
        case .f32: (1, 4)
        case .f16: (1, 2)
        case .q8_0: (Q8_0.blockValues, Q8_0.blockBytes)
        default: nil
        }
    }

    /// Bytes that `count` values take, or nil for an unsupported type or a count that is not a
    /// whole number of blocks.
    func byteCount(values count: Int) -> Int? {
        guard let layout, count % layout.values == 0 else { return nil }
        return count / layout.values * layout.bytes
    }
}

/// Q8_0: blocks of 32 values, each block a half-precision scale and 32 signed bytes.
enum Q8_0 {
    static let blockValues = 32
    static let blockBytes = 2 + 32

    /// Quantises `values` (a multiple of 32) as llama.cpp does: scale = max |x| / 127, rounded to nearest.
    static func quantize(_ values: [Float]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.count / blockValues * blockBytes)
        var start = 0
        while start < values.count {
            let block = values[start..<min(start + blockValues, values.count)]
            let largest = block.map(abs).max() ?? 0
            let scale = largest / 127
            let inverse: Float = scale == 0 ? 0 : 1 / scale
            let half = Float16(scale).bitPattern
            bytes.append(UInt8(half & 0xFF))
            bytes.append(UInt8(half >> 8))
            for value in block { bytes.append(UInt8(bitPattern: Int8((value * inverse).rounded()))) }
            start += blockValues
        }
        return bytes
    }

    /// Dequantises `blocks` blocks from `bytes` into `output`.
    static func dequantize(_ bytes: UnsafeRawBufferPointer, blocks: Int, into output: UnsafeMutableBufferPointer<Float>) {
        for block in 0..<blocks {
            let base = block * blockBytes
            let bits = UInt16(bytes[base]) | UInt16(bytes[base + 1]) << 8
            let scale = Float(Float16(bitPattern: bits))
            for index in 0..<blockValues {
                output[block * blockValues + index] = Float(Int8(bitPattern: bytes[base + 2 + index])) * scale
            }
        }
    }
}
