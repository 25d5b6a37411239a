#if LUMEN_FUSED_SIMD && arch(x86_64) && canImport(_Builtin_intrinsics)
import _Builtin_intrinsics.intel
#endif

/// Q6_K: super-blocks of 256 values in 16 groups of 16: 128 bytes of low nibbles, 64 bytes of
/// high 2-bit pairs, 16 signed 8-bit scales, then a half-precision d; value = d·scale·(q − 32).
/// Per 128 values (n): ql[64n + l] low nibble → value 128n + l, ql[64n + 32 + l] low → +32,
/// ql[64n + l] high → +64, ql[64n + 32 + l] high → +96; qh[32n + l] bits 0-1, 2-3, 4-5, 6-7 give
/// those four values' high bits. Multiplied with the input quantised to Q8_K (ggml's
/// `vec_dot_q6_K_q8_K`).
enum Q6_KFormat: WeightFormat {
    static let typeNumber: UInt32 = 14
    static let name = "Q6_K"
    static let blockValues = 256
    static let blockBytes = 210
    static let input = InputEncoding.q8_K

    static func dequantize(_ source: UnsafeRawPointer, blocks: Int, into output: UnsafeMutablePointer<Float>) {
        for block in 0..<blocks {
            let x = source + block * blockBytes
            let d = Half.trailing(x + 208)
            for n in 0..<2 {
                let ql = x + 64 * n, qh = x + 128 + 32 * n, sc = x + 192 + 8 * n
                let y = output + block * blockValues + 128 * n
                for l in 0..<32 {
                    let scale = l / 16
                    let a = ql.load(fromByteOffset: l, as: UInt8.self), b = ql.load(fromByteOffset: l + 32, as: UInt8.self)
                    let h = qh.load(fromByteOffset: l, as: UInt8.self)
                    let q1 = Int32((a & 0x0F) | ((h & 3) << 4)) - 32
                    let q2 = Int32((b & 0x0F) | (((h >> 2) & 3) << 4)) - 32
                    let q3 = Int32((a >> 4) | (((h >> 4) & 3) << 4)) - 32
                    let q4 = Int32((b >> 4) | (((h >> 6) & 3) << 4)) - 32
                    y[l] = d * Float(sc.load(fromByteOffset: scale, as: Int8.self)) * Float(q1)
                    y[l + 32] = d * Float(sc.load(fromByteOffset: scale + 2, as: Int8.self)) * Float(q2)
                    y[l + 64] = d * Float(sc.load(fromByteOffset: scale + 4, as: Int8.self)) * Float(q3)
                    y[l + 96] = d * Float(sc.load(fromByteOffset: scale + 6, as: Int8.self)) * Float(q4)
                }
            }
        }
    }

    /// Portable, in ggml's AVX2 lane layout: unsigned six-bit quants × input × scale in Int32 lanes,
    /// minus 32 × (scale × block sum, in pairs) per lane, then one `fmadd` of d.
    enum Portable: BlockKernel {
        struct Weights {
            var d: Float
            var scales: SIMD16<Int32>
            var q: Lanes.Quants256
        }
        typealias Sum = SIMD8<Float>
        static var weightBlockBytes: Int { 210 }
        static var inputBlockBytes: Int { 292 }
        @inline(__always) static func start() -> Sum { .zero }
        @inline(__always) static func load(_ block: UnsafeRawPointer) -> Weights {
            var scales = SIMD16<Int32>()
            for i in 0..<16 { scales[i] = Int32(block.load(fromByteOffset: 192 + i, as: Int8.self)) }
            let ql = block.assumingMemoryBound(to: UInt8.self), qh = (block + 128).assumingMemoryBound(to: UInt8.self)
            let q = Lanes.fill256 { q in
                for n in 0..<2 {
                    for l in 0..<32 {
                        let a = ql[64 * n + l], b = ql[64 * n + 32 + l], h = qh[32 * n + l]
                        q[128 * n + l] = (a & 0x0F) | (h & 3) &<< 4
                        q[128 * n + 32 + l] = (b & 0x0F) | ((h &>> 2) & 3) &<< 4
                        q[128 * n + 64 + l] = (a &>> 4) | ((h &>> 4) & 3) &<< 4
                        q[128 * n + 96 + l] = (b &>> 4) | ((h &>> 6) & 3) &<< 4
                    }
                }
            }
            return Weights(d: Half.trailing(block + 208), scales: scales, q: q)
        }
        @inline(__always) static func accumulate(_ w: Weights, _ x: UnsafeRawPointer, into sum: inout Sum) {
            let d = x.loadUnaligned(as: Float.self) * w.d
            let bsums = x.loadUnaligned(fromByteOffset: 260, as: SIMD16<Int16>.self)
            var correction = SIMD8<Int32>()
            for l in 0..<8 {
                correction[l] = (Int32(bsums[2 * l]) &* w.scales[2 * l] &+ Int32(bsums[2 * l + 1]) &* w.scales[2 * l + 1]) &<< 5
            }
            let sumi = Lanes.scaledSums16(w.q, x + 4, w.scales) &- correction
            Lanes.accumulate(&sum, SIMD8(repeating: d), Lanes.float(sumi))
        }
        @inline(__always) static func total(_ sum: Sum) -> Float { Lanes.hsum(sum) }
    }

    #if LUMEN_FUSED_SIMD && arch(x86_64) && canImport(_Builtin_intrinsics)
    /// AVX2, as ggml: unsigned six-bit quants × input by `maddubs`, × scale by `madd_epi16`, minus
    /// 32 × scale × block sums, then `fmadd` with d.
    enum AVX2Kernel: BlockKernel {
        struct Weights {
            var d: Float
            var scales16: __m256i
            var scales: (__m256i, __m256i, __m256i, __m256i, __m256i, __m256i, __m256i, __m256i)
            var q: (__m256i, __m256i, __m256i, __m256i, __m256i, __m256i, __m256i, __m256i)
        }
        typealias Sum = __m256
        static var weightBlockBytes: Int { 210 }
        static var inputBlockBytes: Int { 292 }
        @inline(__always) static func start() -> Sum { _mm256_setzero_ps() }
        @inline(__always) static func load(_ block: UnsafeRawPointer) -> Weights {
            let m3 = _mm256_set1_epi8(3), m15 = _mm256_set1_epi8(15)
            let scales = AVX2.load128(block + 192)
            func scale(_ i: Int) -> __m256i { _mm256_cvtepi8_epi16(_mm_shuffle_epi8(scales, AVX2.scaleShuffle(i))) }
            func quants(_ n: Int) -> (__m256i, __m256i, __m256i, __m256i) {
                let b1 = AVX2.load(block + 64 * n), b2 = AVX2.load(block + 64 * n + 32), h = AVX2.load(block + 128 + 32 * n)
                let h0 = _mm256_slli_epi16(_mm256_and_si256(h, m3), 4)
                let h1 = _mm256_slli_epi16(_mm256_and_si256(h, _mm256_set1_epi8(12)), 2)
                let h2 = _mm256_and_si256(h, _mm256_set1_epi8(48))
                let h3 = _mm256_srli_epi16(_mm256_and_si256(h, _mm256_set1_epi8(-64)), 2)
                return (_mm256_or_si256(_mm256_and_si256(b1, m15), h0), _mm256_or_si256(_mm256_and_si256(b2, m15), h1),
                        _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(b1, 4), m15), h2),
                        _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(b2, 4), m15), h3))
            }
            let (a0, a1, a2, a3) = quants(0), (b0, b1, b2, b3) = quants(1)
            return Weights(d: Half.trailing(block + 208), scales16: _mm256_cvtepi8_epi16(scales),
                           scales: (scale(0), scale(1), scale(2), scale(3), scale(4), scale(5), scale(6), scale(7)),
                           q: (a0, a1, a2, a3, b0, b1, b2, b3))
        }
        @inline(__always) static func accumulate(_ w: Weights, _ x: UnsafeRawPointer, into sum: inout Sum) {
            let d = x.loadUnaligned(as: Float.self) * w.d
            let correction = _mm256_slli_epi32(_mm256_madd_epi16(AVX2.load(x + 260), w.scales16), 5)
            let y = x + 4
            @inline(__always) func part(_ q: __m256i, _ scale: __m256i, _ offset: Int) -> __m256i {
                _mm256_madd_epi16(scale, _mm256_maddubs_epi16(q, AVX2.load(y + offset)))
            }
            var sumi = _mm256_add_epi32(part(w.q.0, w.scales.0, 0), part(w.q.1, w.scales.1, 32))
            sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(part(w.q.2, w.scales.2, 64), part(w.q.3, w.scales.3, 96)))
            sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(part(w.q.4, w.scales.4, 128), part(w.q.5, w.scales.5, 160)))
            sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(part(w.q.6, w.scales.6, 192), part(w.q.7, w.scales.7, 224)))
            sumi = _mm256_sub_epi32(sumi, correction)
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
