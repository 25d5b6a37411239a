#if LUMEN_FUSED_SIMD && arch(x86_64) && canImport(_Builtin_intrinsics)
import _Builtin_intrinsics.intel
#endif

/// Q5_1: blocks of 32 values, half-precision d and m, a 32-bit word of fifth bits, then 16 bytes of
/// low nibbles (as Q5_0); value = q × d + m. Multiplied with the input quantised to Q8_1 (ggml's
/// `vec_dot_q5_1_q8_1`).
enum Q5_1Format: WeightFormat {
    static let typeNumber: UInt32 = 7
    static let name = "Q5_1"
    static let blockValues = 32
    static let blockBytes = 24
    static let input = InputEncoding.q8_1

    static func dequantize(_ source: UnsafeRawPointer, blocks: Int, into output: UnsafeMutablePointer<Float>) {
        for block in 0..<blocks {
            let x = source + block * blockBytes, y = output + block * blockValues
            let d = Half.leading(x)
            let m = Half.leading(x + 2)
            let qh = x.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
            for j in 0..<16 {
                let q = x.load(fromByteOffset: 8 + j, as: UInt8.self)
                let h0 = ((qh >> UInt32(j)) & 1) << 4, h1 = ((qh >> UInt32(j + 16)) & 1) << 4
                y[j] = Float(UInt32(q & 0x0F) | h0) * d + m
                y[j + 16] = Float(UInt32(q >> 4) | h1) * d + m
            }
        }
    }

    /// Portable: as Q4_1 with five-bit quants.
    enum Portable: BlockKernel {
        typealias Weights = (d: Float, m: Float, q: SIMD32<Int8>)
        typealias Sum = (lanes: SIMD8<Float>, offsets: Float)
        static var weightBlockBytes: Int { 24 }
        static var inputBlockBytes: Int { 36 }
        @inline(__always) static func start() -> Sum { (.zero, 0) }
        @inline(__always) static func load(_ block: UnsafeRawPointer) -> Weights {
            (Half.leading(block), Half.leading(block + 2), Lanes.nibbles(block + 8, high: block + 4))
        }
        @inline(__always) static func accumulate(_ w: Weights, _ x: UnsafeRawPointer, into sum: inout Sum) {
            let dx = Half.leading(x), sx = Half.leading(x + 2)
            Lanes.accumulate(&sum.offsets, w.m, sx)
            Lanes.accumulate(&sum.lanes, SIMD8(repeating: w.d * dx), Lanes.float(Lanes.sums(w.q, x + 4)))
        }
        @inline(__always) static func total(_ sum: Sum) -> Float { Lanes.hsum(sum.lanes) + sum.offsets }
    }

    #if LUMEN_FUSED_SIMD && arch(x86_64) && canImport(_Builtin_intrinsics)
    /// AVX2, as ggml: nibbles OR 0x10 where the fifth bit is set, `mul_sum_us8_pairs_float`, `fmadd`.
    enum AVX2Kernel: BlockKernel {
        typealias Weights = (d: Float, m: Float, q: __m256i)
        typealias Sum = (lanes: __m256, offsets: Float)
        static var weightBlockBytes: Int { 24 }
        static var inputBlockBytes: Int { 36 }
        @inline(__always) static func start() -> Sum { (_mm256_setzero_ps(), 0) }
        @inline(__always) static func load(_ block: UnsafeRawPointer) -> Weights {
            let high = _mm256_and_si256(AVX2.bytesFromBits(block + 4), _mm256_set1_epi8(0x10))
            return (Half.leading(block), Half.leading(block + 2),
                    _mm256_or_si256(AVX2.nibbles(block + 8), high))
        }
        @inline(__always) static func accumulate(_ w: Weights, _ x: UnsafeRawPointer, into sum: inout Sum) {
            let dx = Half.leading(x), sx = Half.leading(x + 2)
            sum.offsets.addProduct(w.m, sx)
            let q = AVX2.mulSumUnsigned(w.q, AVX2.load(x + 4))
            sum.lanes = _mm256_fmadd_ps(q, _mm256_set1_ps(w.d * dx), sum.lanes)
        }
        @inline(__always) static func total(_ sum: Sum) -> Float { AVX2.hsum(sum.lanes) + sum.offsets }
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
