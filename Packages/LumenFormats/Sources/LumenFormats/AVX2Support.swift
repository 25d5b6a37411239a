#if LUMEN_FUSED_SIMD && arch(x86_64) && canImport(_Builtin_intrinsics)
import _Builtin_intrinsics.intel

/// Building blocks of the AVX2 kernels, after ggml's x86 helpers (ggml-cpu/arch/x86/quants.c).
/// Only in builds for a machine with AVX2, FMA and F16C (`-DLUMEN_FUSED_SIMD` plus
/// `-Xcc -mavx2 -Xcc -mfma -Xcc -mf16c`, or `-target-cpu native`).
enum AVX2 {
    @inline(__always)
    static func load(_ p: UnsafeRawPointer) -> __m256i { p.loadUnaligned(as: __m256i.self) }

    @inline(__always)
    static func load128(_ p: UnsafeRawPointer) -> __m128i { p.loadUnaligned(as: __m128i.self) }

    /// ggml's `hsum_float_8`, same additions in the same order.
    @inline(__always)
    static func hsum(_ v: __m256) -> Float { Lanes.hsum(v) }

    /// `bytes_from_nibbles_32`: 16 bytes → low nibbles in bytes 0…15, high nibbles in 16…31.
    @inline(__always)
    static func nibbles(_ p: UnsafeRawPointer) -> __m256i {
        let tmp = load128(p)
        return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(tmp, 4), tmp), _mm256_set1_epi8(0x0F))
    }

    /// `bytes_from_bits_32`: byte i is 0xFF where bit i of the 32-bit word at `p` is set, else 0.
    @inline(__always)
    static func bytesFromBits(_ p: UnsafeRawPointer) -> __m256i {
        let word = Int32(bitPattern: p.loadUnaligned(as: UInt32.self))
        let shuffle = _mm256_set_epi64x(0x0303_0303_0303_0303, 0x0202_0202_0202_0202, 0x0101_0101_0101_0101, 0)
        let bytes = _mm256_shuffle_epi8(_mm256_set1_epi32(word), shuffle)
        let bitMask = _mm256_set1_epi64x(0x7FBF_DFEF_F7FB_FDFE)
        return _mm256_cmpeq_epi8(_mm256_or_si256(bytes, bitMask), _mm256_set1_epi64x(-1))
    }

    /// `sum_i16_pairs_float` after `maddubs`: adjacent Int16 pairs summed to Int32, as floats.
    @inline(__always)
    static func pairsFloat(_ x: __m256i) -> __m256 {
        _mm256_cvtepi32_ps(_mm256_madd_epi16(_mm256_set1_epi16(1), x))
    }

    /// `mul_sum_us8_pairs_float`: unsigned bytes × signed bytes, four adjacent products per lane.
    @inline(__always)
    static func mulSumUnsigned(_ ax: __m256i, _ sy: __m256i) -> __m256 {
        pairsFloat(_mm256_maddubs_epi16(ax, sy))
    }

    /// `mul_sum_i8_pairs_float`: signed × signed bytes through |x| and y with x's sign.
    @inline(__always)
    static func mulSumSigned(_ x: __m256i, _ y: __m256i) -> __m256 {
        mulSumUnsigned(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x))
    }

    /// `get_scale_shuffle_q3k(i)`: picks Int16 scales 2i (low 128 bits) and 2i+1 (high 128 bits).
    @inline(__always)
    static func scaleShuffleQ3K(_ i: Int) -> __m256i {
        let lo = Int8(truncatingIfNeeded: 4 * i), hi = Int8(truncatingIfNeeded: 4 * i + 1)
        let low = _mm_set_epi8(hi, lo, hi, lo, hi, lo, hi, lo, hi, lo, hi, lo, hi, lo, hi, lo)
        let hlo = Int8(truncatingIfNeeded: 4 * i + 2), hhi = Int8(truncatingIfNeeded: 4 * i + 3)
        let high = _mm_set_epi8(hhi, hlo, hhi, hlo, hhi, hlo, hhi, hlo, hhi, hlo, hhi, hlo, hhi, hlo, hhi, hlo)
        return _mm256_set_m128i(high, low)
    }

    /// `get_scale_shuffle_k4(i)`: Int16 scale i in every lane.
    @inline(__always)
    static func scaleShuffleK4(_ i: Int) -> __m256i {
        let lo = Int8(truncatingIfNeeded: 2 * i), hi = Int8(truncatingIfNeeded: 2 * i + 1)
        return _mm256_set1_epi16(Int16(hi) << 8 | Int16(lo))
    }

    /// `get_scale_shuffle(i)` (128-bit): byte 2i eight times, then byte 2i+1 eight times.
    @inline(__always)
    static func scaleShuffle(_ i: Int) -> __m128i {
        let lo = Int8(truncatingIfNeeded: 2 * i), hi = Int8(truncatingIfNeeded: 2 * i + 1)
        return _mm_set_epi8(hi, hi, hi, hi, hi, hi, hi, hi, lo, lo, lo, lo, lo, lo, lo, lo)
    }
}
#endif
