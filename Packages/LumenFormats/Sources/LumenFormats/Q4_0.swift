#if LUMEN_FUSED_SIMD && arch(x86_64) && canImport(_Builtin_intrinsics)
import _Builtin_intrinsics.intel
#endif

/// Q4_0: blocks of 32 values, a half-precision scale d and 16 bytes of 4-bit quants (value j in the
/// low nibble of byte j, value j+16 in its high nibble); value = (q − 8) × d. Multiplied with the
/// input quantised to Q8_0 (ggml's `vec_dot_q4_0_q8_0`).
enum Q4_0Format: WeightFormat {
    static let typeNumber: UInt32 = 2
    static let name = "Q4_0"
    static let blockValues = 32
    static let blockBytes = 18
    static let input = InputEncoding.q8_0

    static func dequantize(_ source: UnsafeRawPointer, blocks: Int, into output: UnsafeMutablePointer<Float>) {
        for block in 0..<blocks {
            let x = source + block * blockBytes, y = output + block * blockValues
            let d = Half.leading(x)
            for j in 0..<16 {
                let q = x.load(fromByteOffset: 2 + j, as: UInt8.self)
                y[j] = Float(Int32(q & 0x0F) - 8) * d
                y[j + 16] = Float(Int32(q >> 4) - 8) * d
            }
        }
    }

    /// Portable: the nibbles unpacked to signed bytes, then as Q8_0.
    enum Portable: BlockKernel {
        typealias Weights = (d: Float, q: SIMD32<Int8>)
        typealias Sum = SIMD8<Float>
        static var weightBlockBytes: Int { 18 }
        static var inputBlockBytes: Int { 34 }
        @inline(__always) static func start() -> Sum { .zero }
        @inline(__always) static func load(_ block: UnsafeRawPointer) -> Weights {
            (Half.leading(block), Lanes.nibbles(block + 2, plus: 0xF8))
        }
        @inline(__always) static func accumulate(_ w: Weights, _ x: UnsafeRawPointer, into sum: inout Sum) {
            let d = w.d * Half.leading(x)
            Lanes.accumulate(&sum, SIMD8(repeating: d), Lanes.float(Lanes.sums(w.q, x + 2)))
        }
        @inline(__always) static func total(_ sum: Sum) -> Float { Lanes.hsum(sum) }
    }

    #if LUMEN_FUSED_SIMD && arch(x86_64) && canImport(_Builtin_intrinsics)
    /// AVX2, as ggml: `bytes_from_nibbles_32` − 8, then `mul_sum_i8_pairs_float` and `fmadd`.
    enum AVX2Kernel: BlockKernel {
        typealias Weights = (d: Float, q: __m256i, magnitude: __m256i)
        typealias Sum = __m256
        static var weightBlockBytes: Int { 18 }
        static var inputBlockBytes: Int { 34 }
        @inline(__always) static func start() -> Sum { _mm256_setzero_ps() }
        @inline(__always) static func load(_ block: UnsafeRawPointer) -> Weights {
            let q = _mm256_sub_epi8(AVX2.nibbles(block + 2), _mm256_set1_epi8(8))
            return (Half.leading(block), q, _mm256_sign_epi8(q, q))
        }
        @inline(__always) static func accumulate(_ w: Weights, _ x: UnsafeRawPointer, into sum: inout Sum) {
            let d = _mm256_set1_ps(w.d * Half.leading(x))
            let q = AVX2.mulSumUnsigned(w.magnitude, _mm256_sign_epi8(AVX2.load(x + 2), w.q))
            sum = _mm256_fmadd_ps(d, q, sum)
        }
        @inline(__always) static func total(_ sum: Sum) -> Float { AVX2.hsum(sum) }
    }
    typealias Kernel = AVX2Kernel
    #else
    typealias Kernel = Portable
    #endif

    static func dot(_ row: UnsafeRawPointer, _ quantisedInput: UnsafeRawPointer, blocks: Int) -> Float {
        BlockDriver.dot(Kernel.self, row, quantisedInput, blocks: blocks)
    }

    static func dot(_ row: UnsafeRawPointer, inputs: UnsafeRawPointer, inputStride: Int, count: Int, blocks: Int,
                    into output: UnsafeMutablePointer<Float>, outputStride: Int) {
        BlockDriver.dot(Kernel.self, row, inputs: inputs, inputStride: inputStride, count: count, blocks: blocks,
                        into: output, outputStride: outputStride)
    }

    static func portableDot(_ row: UnsafeRawPointer, _ quantisedInput: UnsafeRawPointer, blocks: Int) -> Float {
        BlockDriver.dot(Portable.self, row, quantisedInput, blocks: blocks)
    }
}
