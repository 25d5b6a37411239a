#if LUMEN_FUSED_SIMD && arch(x86_64) && canImport(_Builtin_intrinsics)
import _Builtin_intrinsics.intel
#endif

/// A format's dot product taken one weight block at a time: the weight block is made ready once
/// (`load`) and then multiplied into the running sums of one or several inputs (`accumulate`).
/// `BlockDriver` runs it over a row for one input or for groups of four; each input's sum sees the
/// same operations in the same order either way, so batched and single results agree bit for bit.
protocol BlockKernel {
    /// A weight block unpacked for multiplying.
    associatedtype Weights
    /// One input's running sum.
    associatedtype Sum

    static var weightBlockBytes: Int { get }
    static var inputBlockBytes: Int { get }
    static func start() -> Sum
    static func load(_ block: UnsafeRawPointer) -> Weights
    static func accumulate(_ weights: Weights, _ input: UnsafeRawPointer, into sum: inout Sum)
    static func total(_ sum: Sum) -> Float
}

enum BlockDriver {
    @inline(__always)
    static func dot<K: BlockKernel>(_: K.Type, _ row: UnsafeRawPointer, _ input: UnsafeRawPointer, blocks: Int) -> Float {
        var sum = K.start()
        for block in 0..<blocks {
            K.accumulate(K.load(row + block * K.weightBlockBytes), input + block * K.inputBlockBytes, into: &sum)
        }
        return K.total(sum)
    }

    @inline(__always)
    static func dot<K: BlockKernel>(_: K.Type, _ row: UnsafeRawPointer, inputs: UnsafeRawPointer, inputStride: Int, count: Int,
                                    blocks: Int, into output: UnsafeMutablePointer<Float>, outputStride: Int) {
        var t = 0
        while t + 4 <= count {
            let x0 = inputs + t * inputStride, x1 = x0 + inputStride, x2 = x1 + inputStride, x3 = x2 + inputStride
            var s0 = K.start(), s1 = K.start(), s2 = K.start(), s3 = K.start()
            for block in 0..<blocks {
                let weights = K.load(row + block * K.weightBlockBytes)
                let offset = block * K.inputBlockBytes
                K.accumulate(weights, x0 + offset, into: &s0)
                K.accumulate(weights, x1 + offset, into: &s1)
                K.accumulate(weights, x2 + offset, into: &s2)
                K.accumulate(weights, x3 + offset, into: &s3)
            }
            output[t * outputStride] = K.total(s0)
            output[(t + 1) * outputStride] = K.total(s1)
            output[(t + 2) * outputStride] = K.total(s2)
            output[(t + 3) * outputStride] = K.total(s3)
            t += 4
        }
        if t + 2 <= count {
            let x0 = inputs + t * inputStride, x1 = x0 + inputStride
            var s0 = K.start(), s1 = K.start()
            for block in 0..<blocks {
                let weights = K.load(row + block * K.weightBlockBytes)
                let offset = block * K.inputBlockBytes
                K.accumulate(weights, x0 + offset, into: &s0)
                K.accumulate(weights, x1 + offset, into: &s1)
            }
            output[t * outputStride] = K.total(s0)
            output[(t + 1) * outputStride] = K.total(s1)
            t += 2
        }
        if t < count {
            output[t * outputStride] = dot(K.self, row, inputs + t * inputStride, blocks: blocks)
        }
    }
}

// MARK: - Scalars

#if LUMEN_FUSED_SIMD && arch(x86_64) && canImport(_Builtin_intrinsics)
extension UnsafeRawPointer {
    /// Eight bytes at `self` in the low half of a vector (`movq`), the high half zero.
    @inline(__always)
    func loadUnaligned(as _: __m128i.Type, eightBytes _: Void) -> __m128i {
        __m128i(Int64(bitPattern: loadUnaligned(as: UInt64.self)), 0)
    }
}
#endif

/// Half precision and bfloat16 conversions, exact (round to nearest even on the way down).
enum Half {
    @inline(__always)
    static func float(_ bits: UInt16) -> Float {
        #if LUMEN_FUSED_SIMD
        return Float(Float16(bitPattern: bits))
        #else
        return floatBits(bits)
        #endif
    }

    /// The half at `p`, which must have 6 more readable bytes after it (a block's leading scale).
    @inline(__always)
    static func leading(_ p: UnsafeRawPointer) -> Float {
        #if LUMEN_FUSED_SIMD && arch(x86_64) && canImport(_Builtin_intrinsics)
        // F16C on eight bytes loaded as a vector, not `Float(Float16(bitPattern:))`: that becomes
        // a `pinsrw` merging into whatever register the compiler picks, and when it picks a loop's
        // running sum, every block waits for the one before (Q8_0 ran three times slower so).
        return _mm_cvtph_ps(p.loadUnaligned(as: __m128i.self, eightBytes: ()))[0]
        #else
        return float(p.loadUnaligned(as: UInt16.self))
        #endif
    }

    /// The half at `p`, which must have 6 readable bytes before it (a block's trailing scale).
    @inline(__always)
    static func trailing(_ p: UnsafeRawPointer) -> Float {
        #if LUMEN_FUSED_SIMD && arch(x86_64) && canImport(_Builtin_intrinsics)
        return _mm_cvtph_ps((p - 6).loadUnaligned(as: __m128i.self, eightBytes: ()))[3]
        #else
        return float(p.loadUnaligned(as: UInt16.self))
        #endif
    }

    /// The same conversion in integer operations (ggml's `fp16_to_fp32` fallback): no library call
    /// where the target has no half-precision instructions.
    @inline(__always)
    static func floatBits(_ h: UInt16) -> Float {
        let w = UInt32(h) << 16
        let sign = w & 0x8000_0000
        let twoW = w &+ w
        let normalized = Float(bitPattern: (twoW >> 4) &+ (0xE0 << 23)) * Float(bitPattern: 0x0780_0000)
        let denormalized = Float(bitPattern: (twoW >> 17) | (126 << 23)) - 0.5
        let magnitude = twoW < (1 << 27) ? denormalized.bitPattern : normalized.bitPattern
        return Float(bitPattern: sign | magnitude)
    }

    @inline(__always)
    static func bits(_ value: Float) -> UInt16 {
        #if LUMEN_FUSED_SIMD
        return Float16(value).bitPattern
        #else
        return bitsPortable(value)
        #endif
    }

    /// Float to half, rounded to nearest even, in integer and float operations (ggml's
    /// `fp32_to_fp16` fallback); NaN becomes the quiet NaN 0x7E00 with the input's sign.
    @inline(__always)
    static func bitsPortable(_ f: Float) -> UInt16 {
        var base = (abs(f) * Float(bitPattern: 0x7780_0000)) * Float(bitPattern: 0x0880_0000)
        let w = f.bitPattern
        let shl1W = w &+ w
        let sign = w & 0x8000_0000
        var bias = shl1W & 0xFF00_0000
        if bias < 0x7100_0000 { bias = 0x7100_0000 }
        base = Float(bitPattern: (bias >> 1) &+ 0x0780_0000) + base
        let bits = base.bitPattern
        let expBits = (bits >> 13) & 0x0000_7C00
        let mantissaBits = bits & 0x0000_0FFF
        let nonsign = expBits &+ mantissaBits
        return UInt16(truncatingIfNeeded: (sign >> 16) | (shl1W > 0xFF00_0000 ? 0x7E00 : nonsign))
    }

    @inline(__always)
    static func bfloat(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

    /// ggml's `GGML_FP32_TO_BF16`: NaN made quiet, otherwise rounded to nearest even.
    @inline(__always)
    static func bfloatBits(_ value: Float) -> UInt16 {
        let u = value.bitPattern
        if u & 0x7FFF_FFFF > 0x7F80_0000 { return UInt16(truncatingIfNeeded: (u >> 16) | 64) }
        return UInt16(truncatingIfNeeded: (u &+ (0x7FFF &+ ((u >> 16) & 1))) >> 16)
    }
}

// MARK: - Portable vector helpers

/// Helpers for the portable kernels. They mirror the lane layout of ggml's AVX2 kernels: eight
/// 32-bit lanes, lane L holding the sum of four adjacent products (values 4L…4L+3 of a group of 32).
enum Lanes {
    /// `acc += a × b`, fused where the build targets a machine with fused multiply-adds (as ggml's
    /// `_mm256_fmadd_ps`), separately rounded otherwise (a fused one would be a library call per lane).
    @inline(__always)
    static func accumulate(_ acc: inout SIMD8<Float>, _ a: SIMD8<Float>, _ b: SIMD8<Float>) {
        #if LUMEN_FUSED_SIMD
        acc.addProduct(a, b)
        #else
        acc += a * b
        #endif
    }

    /// `acc += a × b` on scalars, fused likewise (ggml's compilers contract such expressions).
    @inline(__always)
    static func accumulate(_ acc: inout Float, _ a: Float, _ b: Float) {
        #if LUMEN_FUSED_SIMD
        acc.addProduct(a, b)
        #else
        acc += a * b
        #endif
    }

    /// ggml's `hsum_float_8`: high half plus low half, then pairs: ((0+4)+(2+6)) + ((1+5)+(3+7)).
    @inline(__always)
    static func hsum(_ v: SIMD8<Float>) -> Float {
        let r0 = v[0] + v[4], r1 = v[1] + v[5], r2 = v[2] + v[6], r3 = v[3] + v[7]
        return (r0 + r2) + (r1 + r3)
    }

    /// The last step of ggml's `GGML_F32x8_REDUCE` (two `hadd`s): ((0+4)+(1+5)) + ((2+6)+(3+7)).
    @inline(__always)
    static func haddSum(_ v: SIMD8<Float>) -> Float {
        let t0 = v[0] + v[4], t1 = v[1] + v[5], t2 = v[2] + v[6], t3 = v[3] + v[7]
        return (t0 + t1) + (t2 + t3)
    }

    /// Lane L = Σ a[4L+k]·b[4L+k], k < 4, over 32 signed bytes each: exact integers.
    @inline(__always)
    static func sums(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer) -> SIMD8<Int32> {
        var p = (SIMD8<Int32>(), SIMD8<Int32>(), SIMD8<Int32>(), SIMD8<Int32>())
        withUnsafeMutableBytes(of: &p) { raw in
            let q = raw.baseAddress!.assumingMemoryBound(to: Int32.self)
            let x = a.assumingMemoryBound(to: Int8.self), y = b.assumingMemoryBound(to: Int8.self)
            // A plain loop the optimiser turns into widening multiplies.
            for i in 0..<32 { q[i] = Int32(x[i]) &* Int32(y[i]) }
        }
        let low = SIMD16<Int32>(lowHalf: p.0, highHalf: p.1), high = SIMD16<Int32>(lowHalf: p.2, highHalf: p.3)
        let pairs = SIMD16<Int32>(lowHalf: low.evenHalf &+ low.oddHalf, highHalf: high.evenHalf &+ high.oddHalf)
        return pairs.evenHalf &+ pairs.oddHalf
    }

    /// `sums` with the weights held in a vector value.
    @inline(__always)
    static func sums(_ a: SIMD32<Int8>, _ b: UnsafeRawPointer) -> SIMD8<Int32> {
        withUnsafeBytes(of: a) { sums($0.baseAddress!, b) }
    }

    // The unpacking below is plain byte loops the optimiser vectorises for any target: Swift's
    // SIMD operators on vectors wider than the target's registers (SIMD32 on SSE2, SIMD64 on
    // AVX2) fall back to element-by-element loops through memory, tens of times slower.

    /// 32 bytes written by `body` (a block's unpacked quants).
    @inline(__always)
    static func fill32(_ body: (UnsafeMutablePointer<UInt8>) -> Void) -> SIMD32<Int8> {
        var r = SIMD32<Int8>()
        withUnsafeMutableBytes(of: &r) { body($0.baseAddress!.assumingMemoryBound(to: UInt8.self)) }
        return r
    }

    /// 256 bytes written by `body` (a super-block's unpacked quants).
    @inline(__always)
    static func fill256(_ body: (UnsafeMutablePointer<UInt8>) -> Void) -> Quants256 {
        var r: Quants256 = (SIMD64(), SIMD64(), SIMD64(), SIMD64())
        withUnsafeMutableBytes(of: &r) { body($0.baseAddress!.assumingMemoryBound(to: UInt8.self)) }
        return r
    }

    /// Sixteen nibbles → 32 bytes: low nibbles first (values 0…15), then high nibbles (16…31), as
    /// ggml's `bytes_from_nibbles_32`, with `offset` added (wrapping) and, when `high` is given,
    /// bit i of the 32-bit word there times 16 added to value i (Q5_0, Q5_1).
    @inline(__always)
    static func nibbles(_ p: UnsafeRawPointer, plus offset: UInt8 = 0, high: UnsafeRawPointer? = nil) -> SIMD32<Int8> {
        let q = p.assumingMemoryBound(to: UInt8.self)
        let word = high?.loadUnaligned(as: UInt32.self) ?? 0
        return fill32 { r in
            for j in 0..<16 {
                let h0 = UInt8(truncatingIfNeeded: (word &>> UInt32(j)) & 1) &<< 4
                let h1 = UInt8(truncatingIfNeeded: (word &>> UInt32(j + 16)) & 1) &<< 4
                r[j] = ((q[j] & 0x0F) | h0) &+ offset
                r[j + 16] = ((q[j] &>> 4) | h1) &+ offset
            }
        }
    }

    /// Four 64-byte vectors: 256 unpacked quants of a K-quant super-block.
    typealias Quants256 = (SIMD64<Int8>, SIMD64<Int8>, SIMD64<Int8>, SIMD64<Int8>)

    /// Σ over the eight groups of 32 of `scale(low half), scale(high half)` × `sums`, in Int32 lanes:
    /// scales[2g] for the group's first 16 values (lanes 0…3), scales[2g+1] for its last 16 (lanes
    /// 4…7), as ggml's `get_scale_shuffle_q3k` and 16-value scales (Q2_K, Q3_K, Q6_K).
    @inline(__always)
    static func scaledSums16(_ q: Quants256, _ y: UnsafeRawPointer, _ scales: SIMD16<Int32>) -> SIMD8<Int32> {
        var sumi = SIMD8<Int32>()
        withUnsafeBytes(of: q) { q in
            for g in 0..<8 {
                let s = sums(q.baseAddress! + 32 * g, y + 32 * g)
                let lo = scales[2 * g], hi = scales[2 * g + 1]
                sumi &+= s &* SIMD8(lo, lo, lo, lo, hi, hi, hi, hi)
            }
        }
        return sumi
    }

    @inline(__always)
    static func float(_ v: SIMD8<Int32>) -> SIMD8<Float> {
        var r = SIMD8<Float>()
        for i in 0..<8 { r[i] = Float(v[i]) }
        return r
    }
}
