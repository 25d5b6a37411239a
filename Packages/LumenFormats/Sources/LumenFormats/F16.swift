#if LUMEN_FUSED_SIMD && arch(x86_64) && canImport(_Builtin_intrinsics)
import _Builtin_intrinsics.intel
#endif

/// F16: IEEE half precision, multiplied with the input rounded to half precision (ggml's
/// `vec_dot_type` for F16); products and sums in float, as `DenseKernel`.
enum F16Format: WeightFormat {
    static let typeNumber: UInt32 = 1
    static let name = "F16"
    static let blockValues = 1
    static let blockBytes = 2
    static let input = InputEncoding.f16

    enum Element: DenseElement {
        @inline(__always) static func load8(_ p: UnsafeRawPointer, _ i: Int) -> SIMD8<Float> {
            #if LUMEN_FUSED_SIMD && arch(x86_64) && canImport(_Builtin_intrinsics)
            return _mm256_cvtph_ps(p.loadUnaligned(fromByteOffset: 2 * i, as: __m128i.self))
            #else
            return Portable.load8(p, i)
            #endif
        }
        @inline(__always) static func value(_ p: UnsafeRawPointer, _ i: Int) -> Float {
            Half.float(p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
        }
    }

    /// Eight halves to floats in integer operations (ggml's `fp16_to_fp32` fallback, exact).
    enum Portable {
        @inline(__always) static func load8(_ p: UnsafeRawPointer, _ i: Int) -> SIMD8<Float> {
            var r = SIMD8<Float>()
            for k in 0..<8 { r[k] = Half.floatBits(p.loadUnaligned(fromByteOffset: 2 * (i + k), as: UInt16.self)) }
            return r
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
        DenseKernel.dot(PortableElement.self, PortableElement.self, row, quantisedInput, count: blocks)
    }

    enum PortableElement: DenseElement {
        @inline(__always) static func load8(_ p: UnsafeRawPointer, _ i: Int) -> SIMD8<Float> { Portable.load8(p, i) }
        @inline(__always) static func value(_ p: UnsafeRawPointer, _ i: Int) -> Float {
            Half.floatBits(p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
        }
    }
}
