#if LUMEN_FUSED_SIMD && arch(x86_64) && canImport(_Builtin_intrinsics)
import _Builtin_intrinsics.intel
#endif

/// Q2_K: super-blocks of 256 values in 16 groups of 16: 16 bytes of 4-bit scale (low) and min
/// (high), 64 bytes of 2-bit quants (bytes 32j…32j+31 hold values 128j + 32k + l at bits 2k), then
/// half-precision d and dmin; value = d·scale·q − dmin·min. Multiplied with the input quantised to
/// Q8_K (ggml's `vec_dot_q2_K_q8_K`).
enum Q2_KFormat: WeightFormat {
    static let typeNumber: UInt32 = 10
    static let name = "Q2_K"
    static let blockValues = 256
    static let blockBytes = 84
    static let input = InputEncoding.q8_K

    static func dequantize(_ source: UnsafeRawPointer, blocks: Int, into output: UnsafeMutablePointer<Float>) {
        for block in 0..<blocks {
            let x = source + block * blockBytes
            var y = output + block * blockValues
            let d = Half.trailing(x + 80)
            let dmin = Half.trailing(x + 82)
            var scale = 0
            for n in 0..<2 {
                let q = x + 16 + 32 * n
                for j in 0..<4 {
                    let shift = UInt8(2 * j)
                    for half in 0..<2 {
                        let sc = x.load(fromByteOffset: scale, as: UInt8.self)
                        scale += 1
                        let dl = d * Float(sc & 0x0F), ml = dmin * Float(sc >> 4)
                        for l in 0..<16 {
                            y[l] = dl * Float((q.load(fromByteOffset: 16 * half + l, as: UInt8.self) >> shift) & 3) - ml
                        }
                        y += 16
                    }
                }
            }
        }
    }

    /// Portable, in ggml's AVX2 lane layout: the mins' lanes (min × block sum, in pairs) into the
    /// float lanes first, then the scaled quant products.
    enum Portable: BlockKernel {
        struct Weights {
            var d: Float, dmin: Float
            var scales: SIMD16<Int32>, mins: SIMD16<Int32>
            var q: Lanes.Quants256
        }
        typealias Sum = SIMD8<Float>
        static var weightBlockBytes: Int { 84 }
        static var inputBlockBytes: Int { 292 }
        @inline(__always) static func start() -> Sum { .zero }
        @inline(__always) static func load(_ block: UnsafeRawPointer) -> Weights {
            var scales = SIMD16<Int32>(), mins = SIMD16<Int32>()
            for i in 0..<16 {
                let sc = block.load(fromByteOffset: i, as: UInt8.self)
                scales[i] = Int32(sc & 0x0F)
                mins[i] = Int32(sc >> 4)
            }
            let bits = (block + 16).assumingMemoryBound(to: UInt8.self)
            let q = Lanes.fill256 { q in
                for n in 0..<2 {
                    for k in 0..<4 {
                        for l in 0..<32 { q[128 * n + 32 * k + l] = (bits[32 * n + l] &>> UInt8(2 * k)) & 3 }
                    }
                }
            }
            return Weights(d: Half.trailing(block + 80),
                           dmin: Half.trailing(block + 82),
                           scales: scales, mins: mins, q: q)
        }
        @inline(__always) static func accumulate(_ w: Weights, _ x: UnsafeRawPointer, into sum: inout Sum) {
            let dy = x.loadUnaligned(as: Float.self)
            let d = dy * w.d, dmin = -dy * w.dmin
            let b = x.loadUnaligned(fromByteOffset: 260, as: SIMD16<Int16>.self)
            var prod = SIMD8<Int32>()
            for l in 0..<8 { prod[l] = w.mins[2 * l] &* Int32(b[2 * l]) &+ w.mins[2 * l + 1] &* Int32(b[2 * l + 1]) }
            Lanes.accumulate(&sum, SIMD8(repeating: dmin), Lanes.float(prod))
            let sumi = Lanes.scaledSums16(w.q, x + 4, w.scales)
            Lanes.accumulate(&sum, SIMD8(repeating: d), Lanes.float(sumi))
        }
        @inline(__always) static func total(_ sum: Sum) -> Float { Lanes.hsum(sum) }
    }

    #if LUMEN_FUSED_SIMD && arch(x86_64) && canImport(_Builtin_intrinsics)
    /// AVX2, as ggml: 2-bit quants × input by `maddubs`, × 16-value scales by `madd_epi16`; the
    /// mins by `madd_epi16` with the block sums, `fmadd`ed first.
    enum AVX2Kernel: BlockKernel {
        struct Weights {
            var d: Float, dmin: Float
            var mins: __m256i
            var scales: (__m256i, __m256i, __m256i, __m256i, __m256i, __m256i, __m256i, __m256i)
            var q: (__m256i, __m256i, __m256i, __m256i, __m256i, __m256i, __m256i, __m256i)
        }
        typealias Sum = __m256
        static var weightBlockBytes: Int { 84 }
        static var inputBlockBytes: Int { 292 }
        @inline(__always) static func start() -> Sum { _mm256_setzero_ps() }
        @inline(__always) static func load(_ block: UnsafeRawPointer) -> Weights {
            let m4 = _mm_set1_epi8(0x0F), m3 = _mm256_set1_epi8(3)
            let minsAndScales = AVX2.load128(block)
            let scales8 = _mm_and_si128(minsAndScales, m4)
            let mins8 = _mm_and_si128(_mm_srli_epi16(minsAndScales, 4), m4)
            let low = _mm_cvtepi8_epi16(scales8), high = _mm_cvtepi8_epi16(_mm_unpackhi_epi64(scales8, scales8))
            let scales = (_mm256_set_m128i(low, low), _mm256_set_m128i(high, high))
            func scale(_ j: Int, _ k: Int) -> __m256i { _mm256_shuffle_epi8(j == 0 ? scales.0 : scales.1, AVX2.scaleShuffleQ3K(k)) }
            func q(_ j: Int, _ k: Int) -> __m256i { _mm256_and_si256(_mm256_srli_epi16(AVX2.load(block + 16 + 32 * j), Int32(2 * k)), m3) }
            return Weights(d: Half.trailing(block + 80),
                           dmin: Half.trailing(block + 82),
                           mins: _mm256_cvtepi8_epi16(mins8),
                           scales: (scale(0, 0), scale(0, 1), scale(0, 2), scale(0, 3), scale(1, 0), scale(1, 1), scale(1, 2), scale(1, 3)),
                           q: (q(0, 0), q(0, 1), q(0, 2), q(0, 3), q(1, 0), q(1, 1), q(1, 2), q(1, 3)))
        }
        @inline(__always) static func accumulate(_ w: Weights, _ x: UnsafeRawPointer, into sum: inout Sum) {
            let dy = x.loadUnaligned(as: Float.self)
            let d = dy * w.d, dmin = -dy * w.dmin
            let prod = _mm256_madd_epi16(w.mins, AVX2.load(x + 260))
            sum = _mm256_fmadd_ps(_mm256_set1_ps(dmin), _mm256_cvtepi32_ps(prod), sum)
            let y = x + 4
            @inline(__always) func part(_ q: __m256i, _ scale: __m256i, _ offset: Int) -> __m256i {
                _mm256_madd_epi16(scale, _mm256_maddubs_epi16(q, AVX2.load(y + offset)))
            }
            var sumi = _mm256_add_epi32(_mm256_add_epi32(part(w.q.0, w.scales.0, 0), part(w.q.1, w.scales.1, 32)),
                                        _mm256_add_epi32(part(w.q.2, w.scales.2, 64), part(w.q.3, w.scales.3, 96)))
            sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(_mm256_add_epi32(part(w.q.4, w.scales.4, 128), part(w.q.5, w.scales.5, 160)),
                                                           _mm256_add_epi32(part(w.q.6, w.scales.6, 192), part(w.q.7, w.scales.7, 224))))
            sum = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi), sum)
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
