#if LUMEN_FUSED_SIMD && arch(x86_64) && canImport(_Builtin_intrinsics)
import _Builtin_intrinsics.intel
#endif

/// Q3_K: super-blocks of 256 values in 16 groups of 16: 32 bytes of high bits (bit 4n+k of byte l
/// for value 128n + 32k + l), 64 bytes of low 2-bit quants (as Q2_K), 12 bytes packing sixteen
/// 6-bit scales, then a half-precision d; value = d·(scale − 32)·(low − (high bit ? 0 : 4)).
/// Multiplied with the input quantised to Q8_K (ggml's `vec_dot_q3_K_q8_K`).
enum Q3_KFormat: WeightFormat {
    static let typeNumber: UInt32 = 11
    static let name = "Q3_K"
    static let blockValues = 256
    static let blockBytes = 110
    static let input = InputEncoding.q8_K

    /// The sixteen scales, each minus 32, from the 12 packed bytes (ggml's `aux` shuffle).
    @inline(__always)
    static func scales(_ p: UnsafeRawPointer) -> SIMD16<Int8> {
        let kmask1: UInt32 = 0x0303_0303, kmask2: UInt32 = 0x0F0F_0F0F
        let a0 = p.loadUnaligned(as: UInt32.self), a1 = p.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
        let tmp = p.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
        let words = SIMD4<UInt32>((a0 & kmask2) | (((tmp >> 0) & kmask1) << 4),
                                  (a1 & kmask2) | (((tmp >> 2) & kmask1) << 4),
                                  ((a0 >> 4) & kmask2) | (((tmp >> 4) & kmask1) << 4),
                                  ((a1 >> 4) & kmask2) | (((tmp >> 6) & kmask1) << 4))
        return unsafeBitCast(words, to: SIMD16<Int8>.self) &- SIMD16(repeating: 32)
    }

    static func dequantize(_ source: UnsafeRawPointer, blocks: Int, into output: UnsafeMutablePointer<Float>) {
        for block in 0..<blocks {
            let x = source + block * blockBytes
            var y = output + block * blockValues
            let d = Half.trailing(x + 108)
            let sc = scales(x + 96)
            var scale = 0
            var m: UInt8 = 1
            for n in 0..<2 {
                let q = x + 32 + 32 * n
                for j in 0..<4 {
                    let shift = UInt8(2 * j)
                    for half in 0..<2 {
                        let dl = d * Float(sc[scale])
                        scale += 1
                        for l in 0..<16 {
                            let low = Int8((q.load(fromByteOffset: 16 * half + l, as: UInt8.self) >> shift) & 3)
                            let high: Int8 = x.load(fromByteOffset: 16 * half + l, as: UInt8.self) & m != 0 ? 0 : 4
                            y[l] = dl * Float(low - high)
                        }
                        y += 16
                    }
                    m <<= 1
                }
            }
        }
    }

    /// The 256 quants as signed bytes, low bits minus 4 where the high bit is clear.
    @inline(__always)
    static func quants(_ block: UnsafeRawPointer) -> Lanes.Quants256 {
        let hbits = block.assumingMemoryBound(to: UInt8.self), bits = (block + 32).assumingMemoryBound(to: UInt8.self)
        return Lanes.fill256 { q in
            for n in 0..<2 {
                for k in 0..<4 {
                    for l in 0..<32 {
                        let low = (bits[32 * n + l] &>> UInt8(2 * k)) & 3
                        let clear = ((~hbits[l]) &>> UInt8(4 * n + k)) & 1
                        q[128 * n + 32 * k + l] = low &- clear &<< 2
                    }
                }
            }
        }
    }

    /// Portable, in ggml's AVX2 lane layout: scaled quant products in Int32 lanes, one `fmadd` of d.
    enum Portable: BlockKernel {
        struct Weights {
            var d: Float
            var scales: SIMD16<Int32>
            var q: Lanes.Quants256
        }
        typealias Sum = SIMD8<Float>
        static var weightBlockBytes: Int { 110 }
        static var inputBlockBytes: Int { 292 }
        @inline(__always) static func start() -> Sum { .zero }
        @inline(__always) static func load(_ block: UnsafeRawPointer) -> Weights {
            let sc = Q3_KFormat.scales(block + 96)
            var scales = SIMD16<Int32>()
            for i in 0..<16 { scales[i] = Int32(sc[i]) }
            return Weights(d: Half.trailing(block + 108), scales: scales, q: quants(block))
        }
        @inline(__always) static func accumulate(_ w: Weights, _ x: UnsafeRawPointer, into sum: inout Sum) {
            let d = x.loadUnaligned(as: Float.self) * w.d
            Lanes.accumulate(&sum, SIMD8(repeating: d), Lanes.float(Lanes.scaledSums16(w.q, x + 4, w.scales)))
        }
        @inline(__always) static func total(_ sum: Sum) -> Float { Lanes.hsum(sum) }
    }

    #if LUMEN_FUSED_SIMD && arch(x86_64) && canImport(_Builtin_intrinsics)
    /// AVX2, as ggml: low bits × input minus (4 where the high bit is clear) × input, both by
    /// `maddubs`, then × scale by `madd_epi16`.
    enum AVX2Kernel: BlockKernel {
        struct Weights {
            var d: Float
            var scales: (__m256i, __m256i, __m256i, __m256i, __m256i, __m256i, __m256i, __m256i)
            var low: (__m256i, __m256i, __m256i, __m256i, __m256i, __m256i, __m256i, __m256i)
            var high: (__m256i, __m256i, __m256i, __m256i, __m256i, __m256i, __m256i, __m256i)
        }
        typealias Sum = __m256
        static var weightBlockBytes: Int { 110 }
        static var inputBlockBytes: Int { 292 }
        @inline(__always) static func start() -> Sum { _mm256_setzero_ps() }
        @inline(__always) static func load(_ block: UnsafeRawPointer) -> Weights {
            let m3 = _mm256_set1_epi8(3), mone = _mm256_set1_epi8(1)
            let scales128 = unsafeBitCast(Q3_KFormat.scales(block + 96), to: __m128i.self)
            let low16 = _mm_cvtepi8_epi16(scales128), high16 = _mm_cvtepi8_epi16(_mm_unpackhi_epi64(scales128, scales128))
            let scales = (_mm256_set_m128i(low16, low16), _mm256_set_m128i(high16, high16))
            let hbits = AVX2.load(block)
            func scale(_ j: Int, _ k: Int) -> __m256i { _mm256_shuffle_epi8(j == 0 ? scales.0 : scales.1, AVX2.scaleShuffleQ3K(k)) }
            func low(_ j: Int, _ k: Int) -> __m256i { _mm256_and_si256(_mm256_srli_epi16(AVX2.load(block + 32 + 32 * j), Int32(2 * k)), m3) }
            func high(_ j: Int, _ k: Int) -> __m256i {
                let bit = Int32(4 * j + k)
                return _mm256_slli_epi16(_mm256_srli_epi16(_mm256_andnot_si256(hbits, _mm256_slli_epi16(mone, bit)), bit), 2)
            }
            return Weights(d: Half.trailing(block + 108),
                           scales: (scale(0, 0), scale(0, 1), scale(0, 2), scale(0, 3), scale(1, 0), scale(1, 1), scale(1, 2), scale(1, 3)),
                           low: (low(0, 0), low(0, 1), low(0, 2), low(0, 3), low(1, 0), low(1, 1), low(1, 2), low(1, 3)),
                           high: (high(0, 0), high(0, 1), high(0, 2), high(0, 3), high(1, 0), high(1, 1), high(1, 2), high(1, 3)))
        }
        @inline(__always) static func accumulate(_ w: Weights, _ x: UnsafeRawPointer, into sum: inout Sum) {
            let d = x.loadUnaligned(as: Float.self) * w.d
            let y = x + 4
            @inline(__always) func part(_ low: __m256i, _ high: __m256i, _ scale: __m256i, _ offset: Int) -> __m256i {
                let q8 = AVX2.load(y + offset)
                return _mm256_madd_epi16(scale, _mm256_sub_epi16(_mm256_maddubs_epi16(low, q8), _mm256_maddubs_epi16(high, q8)))
            }
            var sumi = _mm256_add_epi32(_mm256_add_epi32(part(w.low.0, w.high.0, w.scales.0, 0), part(w.low.1, w.high.1, w.scales.1, 32)),
                                        _mm256_add_epi32(part(w.low.2, w.high.2, w.scales.2, 64), part(w.low.3, w.high.3, w.scales.3, 96)))
            sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(
                _mm256_add_epi32(part(w.low.4, w.high.4, w.scales.4, 128), part(w.low.5, w.high.5, w.scales.5, 160)),
                _mm256_add_epi32(part(w.low.6, w.high.6, w.scales.6, 192), part(w.low.7, w.high.7, w.scales.7, 224))))
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
