#if LUMEN_FUSED_SIMD && arch(x86_64) && canImport(_Builtin_intrinsics)
import _Builtin_intrinsics.intel
#endif

/// Q8_0: blocks of 32 values, a half-precision scale d and 32 signed bytes; value = q × d.
/// Multiplied with the input quantised to Q8_0 (ggml's `vec_dot_q8_0_q8_0`).
enum Q8_0Format: WeightFormat {
    static let typeNumber: UInt32 = 8
    static let name = "Q8_0"
    static let blockValues = 32
    static let blockBytes = 34
    static let input = InputEncoding.q8_0

    static func dequantize(_ source: UnsafeRawPointer, blocks: Int, into output: UnsafeMutablePointer<Float>) {
        for block in 0..<blocks {
            let x = source + block * blockBytes, y = output + block * blockValues
            let d = Half.leading(x)
            for j in 0..<32 { y[j] = Float(x.load(fromByteOffset: 2 + j, as: Int8.self)) * d }
        }
    }

    /// Portable: per block, eight lanes of four byte products, times both scales, added into eight
    /// float sums (ggml's AVX2 lane layout), totalled as `hsum_float_8`.
    enum Portable: BlockKernel {
        typealias Weights = (d: Float, q: UnsafeRawPointer)
        typealias Sum = SIMD8<Float>
        static var weightBlockBytes: Int { 34 }
        static var inputBlockBytes: Int { 34 }
        @inline(__always) static func start() -> Sum { .zero }
        @inline(__always) static func load(_ block: UnsafeRawPointer) -> Weights {
            (Half.leading(block), block + 2)
        }
        @inline(__always) static func accumulate(_ w: Weights, _ x: UnsafeRawPointer, into sum: inout Sum) {
            let d = w.d * Half.leading(x)
            Lanes.accumulate(&sum, SIMD8(repeating: d), Lanes.float(Lanes.sums(w.q, x + 2)))
        }
        @inline(__always) static func total(_ sum: Sum) -> Float { Lanes.hsum(sum) }
    }

    #if LUMEN_FUSED_SIMD && arch(x86_64) && canImport(_Builtin_intrinsics)
    /// AVX2, as ggml: |w| × (x with w's sign) by `maddubs`, pairs by `madd`, `fmadd` with d_w·d_x.
    enum AVX2Kernel: BlockKernel {
        typealias Weights = (d: Float, q: __m256i, magnitude: __m256i)
        typealias Sum = __m256
        static var weightBlockBytes: Int { 34 }
        static var inputBlockBytes: Int { 34 }
        @inline(__always) static func start() -> Sum { _mm256_setzero_ps() }
        @inline(__always) static func load(_ block: UnsafeRawPointer) -> Weights {
            let q = AVX2.load(block + 2)
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
