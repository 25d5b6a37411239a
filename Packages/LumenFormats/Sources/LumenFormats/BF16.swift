#if LUMEN_FUSED_SIMD && arch(x86_64) && canImport(_Builtin_intrinsics)
import _Builtin_intrinsics.intel
#endif

/// BF16: bfloat16, multiplied with the input rounded to bfloat16; products and sums in float, as
/// `DenseKernel`.
enum BF16Format: WeightFormat {
    static let typeNumber: UInt32 = 30
    static let name = "BF16"
    static let blockValues = 1
    static let blockBytes = 2
    static let input = InputEncoding.bf16

    enum Element: DenseElement {
        @inline(__always) static func load8(_ p: UnsafeRawPointer, _ i: Int) -> SIMD8<Float> {
            #if LUMEN_FUSED_SIMD && arch(x86_64) && canImport(_Builtin_intrinsics)
            return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(p.loadUnaligned(fromByteOffset: 2 * i, as: __m128i.self)), 16))
            #else
            var h = SIMD8<UInt32>()
            withUnsafeMutableBytes(of: &h) { raw in
                let out = raw.baseAddress!.assumingMemoryBound(to: UInt32.self)
                for k in 0..<8 { out[k] = UInt32(p.loadUnaligned(fromByteOffset: 2 * (i + k), as: UInt16.self)) &<< 16 }
            }
            return unsafeBitCast(h, to: SIMD8<Float>.self)
            #endif
        }
        @inline(__always) static func value(_ p: UnsafeRawPointer, _ i: Int) -> Float {
            Half.bfloat(p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
        }
    }

    static func dequantize(_ source: UnsafeRawPointer, blocks: Int, into output: UnsafeMutablePointer<Float>) {
        for i in 0..<blocks { output[i] = Element.value(source, i) }
    }

    static func dot(_ row: UnsafeRawPointer, _ quantisedInput: UnsafeRawPointer, blocks: Int) -> Float {
        DenseKernel.dot(Element.self, Element.self, row, quantisedInput, count: blocks)
    }

    static func dot(_ row: UnsafeRawPointer, inputs: UnsafeRawPointer, inputStride: Int, count: Int, blocks: Int,
                    into output: UnsafeMutablePointer<Float>, outputStride: Int) {
        DenseKernel.row(Element.self, Element.self, row, inputs: inputs, inputStride: inputStride, inputCount: count, values: blocks, into: output,
                        outputStride: outputStride)
    }

    static func multiply(rows: Range<Int>, of weights: UnsafeRawPointer, rowBytes: Int, inputs: UnsafeRawPointer, inputStride: Int,
                         count: Int, blocks: Int, into output: UnsafeMutablePointer<Float>, outputStride: Int) {
        DenseKernel.multiply(Element.self, Element.self, rows: rows, of: weights, rowBytes: rowBytes, inputs: inputs, inputStride: inputStride,
                             count: count, values: blocks, into: output, outputStride: outputStride)
    }

    static func portableDot(_ row: UnsafeRawPointer, _ quantisedInput: UnsafeRawPointer, blocks: Int) -> Float {
        dot(row, quantisedInput, blocks: blocks)
    }
}
