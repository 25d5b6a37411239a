#if LUMEN_FUSED_SIMD && arch(x86_64) && canImport(_Builtin_intrinsics)
import _Builtin_intrinsics.intel
#endif

/// Q4_K: super-blocks of 256 values in 8 groups of 32: half-precision d and dmin, 12 bytes packing
/// eight 6-bit scales and eight 6-bit mins, then 128 bytes of 4-bit quants (group 2j in the low
/// nibbles of bytes 32j…32j+31, group 2j+1 in their high nibbles); value = d·scale·q − dmin·min.
/// Multiplied with the input quantised to Q8_K (ggml's `vec_dot_q4_K_q8_K`).
enum Q4_KFormat: WeightFormat {
    static let typeNumber: UInt32 = 12
    static let name = "Q4_K"
    static let blockValues = 256
    static let blockBytes = 144
    static let input = InputEncoding.q8_K

    /// The eight scales (bytes 0…7) and eight mins (bytes 8…15) from the 12 packed bytes, as ggml's
    /// `utmp` shuffle (the same values as `get_scale_min_k4`). Shared with Q5_K.
    @inline(__always)
    static func scalesAndMins(_ p: UnsafeRawPointer) -> SIMD4<UInt32> {
        let kmask1: UInt32 = 0x3F3F_3F3F, kmask2: UInt32 = 0x0F0F_0F0F, kmask3: UInt32 = 0x0303_0303
        let u0 = p.loadUnaligned(as: UInt32.self), u1 = p.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
        let u2 = p.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
        let u3 = ((u2 >> 4) & kmask2) | (((u1 >> 6) & kmask3) << 4)
        let mins01 = u1 & kmask1
        let scales47 = (u2 & kmask2) | (((u0 >> 6) & kmask3) << 4)
        return SIMD4(u0 & kmask1, scales47, mins01, u3)
    }

    @inline(__always)
    static func byte(_ v: SIMD4<UInt32>, _ i: Int) -> UInt8 { UInt8(truncatingIfNeeded: v[i >> 2] >> UInt32(8 * (i & 3))) }

    static func dequantize(_ source: UnsafeRawPointer, blocks: Int, into output: UnsafeMutablePointer<Float>) {
        for block in 0..<blocks {
            let x = source + block * blockBytes
            var y = output + block * blockValues
            let d = Half.leading(x), dmin = Half.leading(x + 2)
            let packed = scalesAndMins(x + 4)
            var q = x + 16
            for j in 0..<4 {
                let d1 = d * Float(byte(packed, 2 * j)), m1 = dmin * Float(byte(packed, 8 + 2 * j))
                let d2 = d * Float(byte(packed, 2 * j + 1)), m2 = dmin * Float(byte(packed, 8 + 2 * j + 1))
                for l in 0..<32 { y[l] = d1 * Float(q.load(fromByteOffset: l, as: UInt8.self) & 0x0F) - m1 }
                for l in 0..<32 { y[32 + l] = d2 * Float(q.load(fromByteOffset: l, as: UInt8.self) >> 4) - m2 }
                y += 64
                q += 32
            }
        }
    }

    /// The minimum part shared by Q4_K and Q5_K: pairs of the input's 16 block sums (`hadd_epi16`)
    /// times the eight mins, summed in pairs (`madd_epi16`): four exact integers.
    @inline(__always)
    static func minProducts(_ packed: SIMD4<UInt32>, _ x: UnsafeRawPointer) -> SIMD4<Int32> {
        let b = x.loadUnaligned(fromByteOffset: 260, as: SIMD16<Int16>.self)
        var r = SIMD4<Int32>()
        for k in 0..<4 {
            let s0 = Int32(b[4 * k]) + Int32(b[4 * k + 1]), s1 = Int32(b[4 * k + 2]) + Int32(b[4 * k + 3])
            r[k] = Int32(byte(packed, 8 + 2 * k)) * s0 + Int32(byte(packed, 9 + 2 * k)) * s1
        }
        return r
    }

    /// Portable, in ggml's AVX2 lane layout: eight Int32 lanes of scale × four products, one float
    /// `fmadd` of d per super-block; the mins in four float lanes, totalled as ggml does.
    enum Portable: BlockKernel {
        struct Weights {
            var d: Float, dmin: Float
            var packed: SIMD4<UInt32>
            var scales: SIMD8<Int32>
            var q: Lanes.Quants256
        }
        typealias Sum = (lanes: SIMD8<Float>, mins: SIMD4<Float>)
        static var weightBlockBytes: Int { 144 }
        static var inputBlockBytes: Int { 292 }
        @inline(__always) static func start() -> Sum { (.zero, .zero) }
        @inline(__always) static func load(_ block: UnsafeRawPointer) -> Weights {
            let packed = scalesAndMins(block + 4)
            var scales = SIMD8<Int32>()
            for i in 0..<8 { scales[i] = Int32(byte(packed, i)) }
            let bits = (block + 16).assumingMemoryBound(to: UInt8.self)
            let q = Lanes.fill256 { q in
                for j in 0..<4 {
                    for l in 0..<32 {
                        q[64 * j + l] = bits[32 * j + l] & 0x0F
                        q[64 * j + 32 + l] = bits[32 * j + l] &>> 4
                    }
                }
            }
            return Weights(d: Half.leading(block), dmin: Half.leading(block + 2),
                           packed: packed, scales: scales, q: q)
        }
        @inline(__always) static func accumulate(_ w: Weights, _ x: UnsafeRawPointer, into sum: inout Sum) {
            let dy = x.loadUnaligned(as: Float.self)
            let d = dy * w.d, dmin = -dy * w.dmin
            let minProducts = SIMD4<Float>(Q4_KFormat.minProducts(w.packed, x))
            #if LUMEN_FUSED_SIMD
            sum.mins.addProduct(SIMD4(repeating: dmin), minProducts)
            #else
            sum.mins += SIMD4(repeating: dmin) * minProducts
            #endif
            var sumi = SIMD8<Int32>()
            withUnsafeBytes(of: w.q) { q in
                let y = x + 4
                for j in 0..<4 {
                    let low = Lanes.sums(q.baseAddress! + 64 * j, y + 64 * j)
                    let high = Lanes.sums(q.baseAddress! + 64 * j + 32, y + 64 * j + 32)
                    sumi &+= low &* SIMD8(repeating: w.scales[2 * j]) &+ high &* SIMD8(repeating: w.scales[2 * j + 1])
                }
            }
            Lanes.accumulate(&sum.lanes, SIMD8(repeating: d), Lanes.float(sumi))
        }
        @inline(__always) static func total(_ sum: Sum) -> Float {
            Lanes.hsum(sum.lanes) + ((sum.mins[0] + sum.mins[2]) + (sum.mins[1] + sum.mins[3]))
        }
    }

    #if LUMEN_FUSED_SIMD && arch(x86_64) && canImport(_Builtin_intrinsics)
    /// AVX2, as ggml: per 64 values, unsigned nibbles × input by `maddubs`, × scale by `madd_epi16`;
    /// the mins through the input's block sums into a 4-lane `fmadd`.
    enum AVX2Kernel: BlockKernel {
        struct Weights {
            var d: Float, dmin: Float
            var mins: __m128i
            var scales: (__m256i, __m256i, __m256i, __m256i, __m256i, __m256i, __m256i, __m256i)
            var q: (__m256i, __m256i, __m256i, __m256i, __m256i, __m256i, __m256i, __m256i)
        }
        typealias Sum = (lanes: __m256, mins: __m128)
        static var weightBlockBytes: Int { 144 }
        static var inputBlockBytes: Int { 292 }
        @inline(__always) static func start() -> Sum { (_mm256_setzero_ps(), _mm_setzero_ps()) }
        @inline(__always) static func load(_ block: UnsafeRawPointer) -> Weights {
            let packed = scalesAndMins(block + 4)
            let scales8 = _mm_set_epi32(0, 0, Int32(bitPattern: packed[1]), Int32(bitPattern: packed[0]))
            let mins8 = _mm_set_epi32(0, 0, Int32(bitPattern: packed[3]), Int32(bitPattern: packed[2]))
            let sc128 = _mm_cvtepu8_epi16(scales8)
            let scales = _mm256_set_m128i(sc128, sc128)
            let m4 = _mm256_set1_epi8(0x0F)
            func shuffled(_ i: Int) -> __m256i { _mm256_shuffle_epi8(scales, AVX2.scaleShuffleK4(i)) }
            func low(_ j: Int) -> __m256i { _mm256_and_si256(AVX2.load(block + 16 + 32 * j), m4) }
            func high(_ j: Int) -> __m256i { _mm256_and_si256(_mm256_srli_epi16(AVX2.load(block + 16 + 32 * j), 4), m4) }
            return Weights(d: Half.leading(block), dmin: Half.leading(block + 2),
                           mins: _mm_cvtepu8_epi16(mins8),
                           scales: (shuffled(0), shuffled(1), shuffled(2), shuffled(3), shuffled(4), shuffled(5), shuffled(6), shuffled(7)),
                           q: (low(0), high(0), low(1), high(1), low(2), high(2), low(3), high(3)))
        }
        @inline(__always) static func accumulate(_ w: Weights, _ x: UnsafeRawPointer, into sum: inout Sum) {
            let dy = x.loadUnaligned(as: Float.self)
            let d = dy * w.d, dmin = -dy * w.dmin
            let q8s = _mm_hadd_epi16(AVX2.load128(x + 260), AVX2.load128(x + 276))
            let prod = _mm_madd_epi16(w.mins, q8s)
            sum.mins = _mm_fmadd_ps(_mm_set1_ps(dmin), _mm_cvtepi32_ps(prod), sum.mins)
            let y = x + 4
            @inline(__always) func part(_ q: __m256i, _ scale: __m256i, _ offset: Int) -> __m256i {
                _mm256_madd_epi16(scale, _mm256_maddubs_epi16(q, AVX2.load(y + offset)))
            }
            var sumi = _mm256_add_epi32(part(w.q.0, w.scales.0, 0), part(w.q.1, w.scales.1, 32))
            sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(part(w.q.2, w.scales.2, 64), part(w.q.3, w.scales.3, 96)))
            sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(part(w.q.4, w.scales.4, 128), part(w.q.5, w.scales.5, 160)))
            sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(part(w.q.6, w.scales.6, 192), part(w.q.7, w.scales.7, 224)))
            sum.lanes = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi), sum.lanes)
        }
        @inline(__always) static func total(_ sum: Sum) -> Float {
            let m = sum.mins
            return AVX2.hsum(sum.lanes) + ((m[0] + m[2]) + (m[1] + m[3]))
        }
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
