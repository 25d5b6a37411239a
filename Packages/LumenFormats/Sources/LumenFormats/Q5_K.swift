#if LUMEN_FUSED_SIMD && arch(x86_64) && canImport(_Builtin_intrinsics)
import _Builtin_intrinsics.intel
#endif

/// Q5_K: super-blocks of 256 values in 8 groups of 32: half-precision d and dmin, 12 bytes of
/// 6-bit scales and mins (as Q4_K), 32 bytes of fifth bits (bit g of byte l for value 32g + l),
/// then 128 bytes of low nibbles (as Q4_K); value = d·scale·q − dmin·min. Multiplied with the input
/// quantised to Q8_K (ggml's `vec_dot_q5_K_q8_K`).
enum Q5_KFormat: WeightFormat {
    static let typeNumber: UInt32 = 13
    static let name = "Q5_K"
    static let blockValues = 256
    static let blockBytes = 176
    static let input = InputEncoding.q8_K

    static func dequantize(_ source: UnsafeRawPointer, blocks: Int, into output: UnsafeMutablePointer<Float>) {
        for block in 0..<blocks {
            let x = source + block * blockBytes
            var y = output + block * blockValues
            let d = Half.leading(x), dmin = Half.leading(x + 2)
            let packed = Q4_KFormat.scalesAndMins(x + 4)
            let qh = x + 16
            var ql = x + 48
            var u1: UInt8 = 1, u2: UInt8 = 2
            for j in 0..<4 {
                let d1 = d * Float(Q4_KFormat.byte(packed, 2 * j)), m1 = dmin * Float(Q4_KFormat.byte(packed, 8 + 2 * j))
                let d2 = d * Float(Q4_KFormat.byte(packed, 2 * j + 1)), m2 = dmin * Float(Q4_KFormat.byte(packed, 8 + 2 * j + 1))
                for l in 0..<32 {
                    let h: UInt8 = qh.load(fromByteOffset: l, as: UInt8.self) & u1 != 0 ? 16 : 0
                    y[l] = d1 * Float((ql.load(fromByteOffset: l, as: UInt8.self) & 0x0F) + h) - m1
                }
                for l in 0..<32 {
                    let h: UInt8 = qh.load(fromByteOffset: l, as: UInt8.self) & u2 != 0 ? 16 : 0
                    y[32 + l] = d2 * Float((ql.load(fromByteOffset: l, as: UInt8.self) >> 4) + h) - m2
                }
                y += 64
                ql += 32
                u1 <<= 2
                u2 <<= 2
            }
        }
    }

    /// Portable, in ggml's AVX2 lane layout (as Q4_K); the mins summed to one integer and added
    /// into a scalar, as ggml's Q5_K does.
    enum Portable: BlockKernel {
        struct Weights {
            var d: Float, dmin: Float
            var packed: SIMD4<UInt32>
            var scales: SIMD8<Int32>
            var q: Lanes.Quants256
        }
        typealias Sum = (lanes: SIMD8<Float>, mins: Float)
        static var weightBlockBytes: Int { 176 }
        static var inputBlockBytes: Int { 292 }
        @inline(__always) static func start() -> Sum { (.zero, 0) }
        @inline(__always) static func load(_ block: UnsafeRawPointer) -> Weights {
            let packed = Q4_KFormat.scalesAndMins(block + 4)
            var scales = SIMD8<Int32>()
            for i in 0..<8 { scales[i] = Int32(Q4_KFormat.byte(packed, i)) }
            let hbits = (block + 16).assumingMemoryBound(to: UInt8.self), bits = (block + 48).assumingMemoryBound(to: UInt8.self)
            let q = Lanes.fill256 { q in
                for j in 0..<4 {
                    for l in 0..<32 {
                        let h = hbits[l]
                        q[64 * j + l] = (bits[32 * j + l] & 0x0F) | ((h &>> UInt8(2 * j)) & 1) &<< 4
                        q[64 * j + 32 + l] = (bits[32 * j + l] &>> 4) | ((h &>> UInt8(2 * j + 1)) & 1) &<< 4
                    }
                }
            }
            return Weights(d: Half.leading(block), dmin: Half.leading(block + 2),
                           packed: packed, scales: scales, q: q)
        }
        @inline(__always) static func accumulate(_ w: Weights, _ x: UnsafeRawPointer, into sum: inout Sum) {
            let dy = x.loadUnaligned(as: Float.self)
            let d = dy * w.d, dmin = -dy * w.dmin
            let p = Q4_KFormat.minProducts(w.packed, x)
            Lanes.accumulate(&sum.mins, dmin, Float((p[0] &+ p[1]) &+ (p[2] &+ p[3])))
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
        @inline(__always) static func total(_ sum: Sum) -> Float { Lanes.hsum(sum.lanes) + sum.mins }
    }

    #if LUMEN_FUSED_SIMD && arch(x86_64) && canImport(_Builtin_intrinsics)
    /// AVX2, as ggml: five-bit quants (nibble + 16 × high bit) × input by `maddubs`, × scale by
    /// `madd_epi16`; the mins' four integers summed and `dmin ×` added to a scalar.
    enum AVX2Kernel: BlockKernel {
        struct Weights {
            var d: Float, dmin: Float
            var mins: __m128i
            var scales: (__m256i, __m256i, __m256i, __m256i, __m256i, __m256i, __m256i, __m256i)
            var q: (__m256i, __m256i, __m256i, __m256i, __m256i, __m256i, __m256i, __m256i)
        }
        typealias Sum = (lanes: __m256, mins: Float)
        static var weightBlockBytes: Int { 176 }
        static var inputBlockBytes: Int { 292 }
        @inline(__always) static func start() -> Sum { (_mm256_setzero_ps(), 0) }
        @inline(__always) static func load(_ block: UnsafeRawPointer) -> Weights {
            let packed = Q4_KFormat.scalesAndMins(block + 4)
            let scales8 = _mm_set_epi32(0, 0, Int32(bitPattern: packed[1]), Int32(bitPattern: packed[0]))
            let mins8 = _mm_set_epi32(0, 0, Int32(bitPattern: packed[3]), Int32(bitPattern: packed[2]))
            let sc128 = _mm_cvtepu8_epi16(scales8)
            let scales = _mm256_set_m128i(sc128, sc128)
            let m4 = _mm256_set1_epi8(0x0F), mone = _mm256_set1_epi8(1)
            let hbits = AVX2.load(block + 16)
            func shuffled(_ i: Int) -> __m256i { _mm256_shuffle_epi8(scales, AVX2.scaleShuffleK4(i)) }
            func high(_ bit: Int) -> __m256i {
                let mask = _mm256_slli_epi16(mone, Int32(bit))
                return _mm256_slli_epi16(_mm256_srli_epi16(_mm256_and_si256(hbits, mask), Int32(bit)), 4)
            }
            func low(_ j: Int) -> __m256i { _mm256_add_epi8(_mm256_and_si256(AVX2.load(block + 48 + 32 * j), m4), high(2 * j)) }
            func upper(_ j: Int) -> __m256i {
                _mm256_add_epi8(_mm256_and_si256(_mm256_srli_epi16(AVX2.load(block + 48 + 32 * j), 4), m4), high(2 * j + 1))
            }
            return Weights(d: Half.leading(block), dmin: Half.leading(block + 2),
                           mins: _mm_cvtepu8_epi16(mins8),
                           scales: (shuffled(0), shuffled(1), shuffled(2), shuffled(3), shuffled(4), shuffled(5), shuffled(6), shuffled(7)),
                           q: (low(0), upper(0), low(1), upper(1), low(2), upper(2), low(3), upper(3)))
        }
        @inline(__always) static func accumulate(_ w: Weights, _ x: UnsafeRawPointer, into sum: inout Sum) {
            let dy = x.loadUnaligned(as: Float.self)
            let d = dy * w.d, dmin = -dy * w.dmin
            let q8s = _mm_hadd_epi16(AVX2.load128(x + 260), AVX2.load128(x + 276))
            let prod = unsafeBitCast(_mm_madd_epi16(w.mins, q8s), to: SIMD4<Int32>.self)
            sum.mins.addProduct(dmin, Float((prod[0] &+ prod[1]) &+ (prod[2] &+ prod[3])))
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
        @inline(__always) static func total(_ sum: Sum) -> Float { AVX2.hsum(sum.lanes) + sum.mins }
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
