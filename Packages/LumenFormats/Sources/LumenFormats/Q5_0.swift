#if LUMEN_FUSED_SIMD && arch(x86_64) && canImport(_Builtin_intrinsics)
import _Builtin_intrinsics.intel
#endif

/// Q5_0: blocks of 32 values, a half-precision scale d, a 32-bit word of fifth bits (bit j for value
/// j), then 16 bytes of low nibbles (value j low nibble of byte j, value j+16 high nibble);
/// value = (q − 16) × d. Multiplied with the input quantised to Q8_0 (ggml's `vec_dot_q5_0_q8_0`).
enum Q5_0Format: WeightFormat {
    static let typeNumber: UInt32 = 6
    static let name = "Q5_0"
    static let blockValues = 32
    static let blockBytes = 22
    static let input = InputEncoding.q8_0

    static func dequantize(_ source: UnsafeRawPointer, blocks: Int, into output: UnsafeMutablePointer<Float>) {
        for block in 0..<blocks {
            let x = source + block * blockBytes, y = output + block * blockValues
            let d = Half.leading(x)
            let qh = x.loadUnaligned(fromByteOffset: 2, as: UInt32.self)
            for j in 0..<16 {
                let q = x.load(fromByteOffset: 6 + j, as: UInt8.self)
                let h0 = Int32((qh >> UInt32(j)) & 1) << 4, h1 = Int32((qh >> UInt32(j + 16)) & 1) << 4
                y[j] = Float((Int32(q & 0x0F) | h0) - 16) * d
                y[j + 16] = Float((Int32(q >> 4) | h1) - 16) * d
            }
        }
    }

    /// Portable: the five-bit quants unpacked to signed bytes, then as Q8_0.
    enum Portable: BlockKernel {
        typealias Weights = (d: Float, q: SIMD32<Int8>)
        typealias Sum = SIMD8<Float>
        static var weightBlockBytes: Int { 22 }
        static var inputBlockBytes: Int { 34 }
        @inline(__always) static func start() -> Sum { .zero }
        @inline(__always) static func load(_ block: UnsafeRawPointer) -> Weights {
            (Half.leading(block), Lanes.nibbles(block + 6, plus: 0xF0, high: block + 2))
        }
        @inline(__always) static func accumulate(_ w: Weights, _ x: UnsafeRawPointer, into sum: inout Sum) {
            let d = w.d * Half.leading(x)
            Lanes.accumulate(&sum, SIMD8(repeating: d), Lanes.float(Lanes.sums(w.q, x + 2)))
        }
        @inline(__always) static func total(_ sum: Sum) -> Float { Lanes.hsum(sum) }
    }

    #if LUMEN_FUSED_SIMD && arch(x86_64) && canImport(_Builtin_intrinsics)
    /// AVX2, as ggml: nibbles OR 0xF0 where the fifth bit is clear (q − 16 as a signed byte), then
    /// `mul_sum_i8_pairs_float` and `fmadd`.
    enum AVX2Kernel: BlockKernel {
        typealias Weights = (d: Float, q: __m256i, magnitude: __m256i)
        typealias Sum = __m256
        static var weightBlockBytes: Int { 22 }
        static var inputBlockBytes: Int { 34 }
        @inline(__always) static func start() -> Sum { _mm256_setzero_ps() }
        @inline(__always) static func load(_ block: UnsafeRawPointer) -> Weights {
            let high = _mm256_andnot_si256(AVX2.bytesFromBits(block + 2), _mm256_set1_epi8(Int8(bitPattern: 0xF0)))
            let q = _mm256_or_si256(AVX2.nibbles(block + 6), high)
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
