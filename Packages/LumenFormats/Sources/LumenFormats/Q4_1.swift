#if LUMEN_FUSED_SIMD && arch(x86_64) && canImport(_Builtin_intrinsics)
import _Builtin_intrinsics.intel
#endif

/// Q4_1: blocks of 32 values, half-precision d and m, then 16 bytes of 4-bit quants (value j low
/// nibble of byte j, value j+16 high nibble); value = q × d + m. Multiplied with the input quantised
/// to Q8_1, whose s = d_x × Σq_x carries the offset (ggml's `vec_dot_q4_1_q8_1`).
enum Q4_1Format: WeightFormat {
    static let typeNumber: UInt32 = 3
    static let name = "Q4_1"
    static let blockValues = 32
    static let blockBytes = 20
    static let input = InputEncoding.q8_1

    static func dequantize(_ source: UnsafeRawPointer, blocks: Int, into output: UnsafeMutablePointer<Float>) {
        for block in 0..<blocks {
            let x = source + block * blockBytes, y = output + block * blockValues
            let d = Half.leading(x)
            let m = Half.leading(x + 2)
            for j in 0..<16 {
                let q = x.load(fromByteOffset: 4 + j, as: UInt8.self)
                y[j] = Float(q & 0x0F) * d + m
                y[j + 16] = Float(q >> 4) * d + m
            }
        }
    }

    /// Portable: eight float lanes of d_w·d_x × (four unsigned-by-signed products), plus a running
    /// scalar Σ m·s; the result is `hsum_float_8` of the lanes plus that sum.
    enum Portable: BlockKernel {
        typealias Weights = (d: Float, m: Float, q: SIMD32<Int8>)
        typealias Sum = (lanes: SIMD8<Float>, offsets: Float)
        static var weightBlockBytes: Int { 20 }
        static var inputBlockBytes: Int { 36 }
        @inline(__always) static func start() -> Sum { (.zero, 0) }
        @inline(__always) static func load(_ block: UnsafeRawPointer) -> Weights {
            (Half.leading(block), Half.leading(block + 2),
             Lanes.nibbles(block + 4))
        }
        @inline(__always) static func accumulate(_ w: Weights, _ x: UnsafeRawPointer, into sum: inout Sum) {
            let dx = Half.leading(x), sx = Half.leading(x + 2)
            Lanes.accumulate(&sum.offsets, w.m, sx)
            Lanes.accumulate(&sum.lanes, SIMD8(repeating: w.d * dx), Lanes.float(Lanes.sums(w.q, x + 4)))
        }
        @inline(__always) static func total(_ sum: Sum) -> Float { Lanes.hsum(sum.lanes) + sum.offsets }
    }

    #if LUMEN_FUSED_SIMD && arch(x86_64) && canImport(_Builtin_intrinsics)
    /// AVX2, as ggml: unsigned nibbles × signed input by `maddubs`, `fmadd` with d_w·d_x.
    enum AVX2Kernel: BlockKernel {
        typealias Weights = (d: Float, m: Float, q: __m256i)
        typealias Sum = (lanes: __m256, offsets: Float)
        static var weightBlockBytes: Int { 20 }
        static var inputBlockBytes: Int { 36 }
        @inline(__always) static func start() -> Sum { (_mm256_setzero_ps(), 0) }
        @inline(__always) static func load(_ block: UnsafeRawPointer) -> Weights {
            (Half.leading(block), Half.leading(block + 2),
             AVX2.nibbles(block + 4))
        }
        @inline(__always) static func accumulate(_ w: Weights, _ x: UnsafeRawPointer, into sum: inout Sum) {
            let dx = Half.leading(x), sx = Half.leading(x + 2)
            sum.offsets.addProduct(w.m, sx)
            let xy = AVX2.mulSumUnsigned(w.q, AVX2.load(x + 4))
            sum.lanes = _mm256_fmadd_ps(_mm256_set1_ps(w.d * dx), xy, sum.lanes)
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
