/// Encodes activation rows as a format's `vec_dot_type`, in ggml's block layouts, rounding as
/// llama.cpp's x86 CPU backend does (`quantize_row_q8_0`/`_q8_1` AVX2 code: scale 127/max, rounded
/// half to even; `quantize_row_q8_K_ref`; F16C and ggml's bf16 rounding, both to nearest even).
/// `quantizeReference` follows the `_ref` functions of ggml-quants.c instead (1/d, half away from
/// zero), which is what gguf-py's `quantize` reproduces.
enum InputQuantizer {
    /// Bytes `count` values take in `encoding`; `count` must be a whole number of its blocks.
    static func bytes(count: Int, as encoding: InputEncoding) -> Int {
        let layout = encoding.layout
        precondition(count % layout.values == 0, "\(count) values are not whole \(encoding) blocks of \(layout.values)")
        return count / layout.values * layout.bytes
    }

    /// Encodes `count` values (a whole number of blocks) into `output`.
    static func quantize(_ values: UnsafePointer<Float>, count: Int, as encoding: InputEncoding, into output: UnsafeMutableRawPointer) {
        switch encoding {
        case .f32:
            output.copyMemory(from: values, byteCount: 4 * count)
        case .f16:
            for i in 0..<count { output.storeBytes(of: Half.bits(values[i]), toByteOffset: 2 * i, as: UInt16.self) }
        case .bf16:
            for i in 0..<count { output.storeBytes(of: Half.bfloatBits(values[i]), toByteOffset: 2 * i, as: UInt16.self) }
        case .q8_0:
            precondition(count % 32 == 0)
            for block in 0..<(count / 32) { q8Block(values + 32 * block, into: output + 34 * block, sum: false) }
        case .q8_1:
            precondition(count % 32 == 0)
            for block in 0..<(count / 32) { q8Block(values + 32 * block, into: output + 36 * block, sum: true) }
        case .q8_K:
            precondition(count % 256 == 0)
            for block in 0..<(count / 256) { q8KBlock(values + 256 * block, into: output + 292 * block) }
        }
    }

    /// Encodes `rows` rows of `columns` values, row after row, `bytes(count: columns, as:)` apart.
    static func quantize(rows: Int, columns: Int, _ values: UnsafePointer<Float>, as encoding: InputEncoding, into output: UnsafeMutableRawPointer) {
        let stride = bytes(count: columns, as: encoding)
        for row in 0..<rows { quantize(values + row * columns, count: columns, as: encoding, into: output + row * stride) }
    }

    /// As `quantize`, but Q8_0 and Q8_1 as ggml's `quantize_row_q8_0_ref`/`_q8_1_ref`: id = 1/d and
    /// `roundf` (ties away from zero). They differ from `quantize` only where x·id lands within an
    /// ulp or so of a half.
    static func quantizeReference(_ values: UnsafePointer<Float>, count: Int, as encoding: InputEncoding, into output: UnsafeMutableRawPointer) {
        switch encoding {
        case .q8_0, .q8_1:
            precondition(count % 32 == 0)
            let sum = encoding == .q8_1, size = encoding.layout.bytes
            for block in 0..<(count / 32) {
                let x = values + 32 * block, y = output + size * block
                var amax: Float = 0
                for j in 0..<32 { amax = max(amax, abs(x[j])) }
                let d = amax / 127
                let id: Float = d != 0 ? 1 / d : 0
                y.storeBytes(of: Half.bits(d), as: UInt16.self)
                let q = y + (sum ? 4 : 2)
                var total: Int32 = 0
                for j in 0..<32 {
                    let v = Int8(roundAway(x[j] * id))
                    q.storeBytes(of: v, toByteOffset: j, as: Int8.self)
                    total += Int32(v)
                }
                if sum { y.storeBytes(of: Half.bits(Float(total) * d), toByteOffset: 2, as: UInt16.self) }
            }
        default:
            quantize(values, count: count, as: encoding, into: output)
        }
    }

    /// `roundf`: to nearest, ties away from zero (|v| < 2^23), without the C library.
    @inline(__always)
    static func roundAway(_ v: Float) -> Int32 {
        let t = Int32(v)  // toward zero
        let fraction = v - Float(t)  // exact
        return fraction >= 0.5 ? t + 1 : fraction <= -0.5 ? t - 1 : t
    }

    /// One Q8_0/Q8_1 block as ggml's AVX2 `quantize_row_q8_0`/`_q8_1`.
    @inline(__always)
    static func q8Block(_ x: UnsafePointer<Float>, into y: UnsafeMutableRawPointer, sum: Bool) {
        var largest = SIMD8<Float>()
        for k in 0..<4 {
            let v = UnsafeRawPointer(x + 8 * k).loadUnaligned(as: SIMD8<Float>.self)
            largest = pointwiseMax(largest, pointwiseMax(v, -v))
        }
        let amax = largest.max()
        let d = amax / 127
        y.storeBytes(of: Half.bits(d), as: UInt16.self)
        let id: Float = amax != 0 ? 127 / amax : 0
        let q = y + (sum ? 4 : 2)
        var total = SIMD8<Int32>()
        for k in 0..<4 {
            let v = UnsafeRawPointer(x + 8 * k).loadUnaligned(as: SIMD8<Float>.self) * SIMD8(repeating: id)
            // Adding 1.5 × 2^23 rounds to the nearest integer, ties to even (as `_mm256_round_ps`
            // with `_MM_ROUND_NEAREST`), and leaves it in the low mantissa bits.
            let bits = unsafeBitCast(v + SIMD8(repeating: 12_582_912), to: SIMD8<Int32>.self) &- SIMD8(repeating: 0x4B40_0000)
            total &+= bits
            for lane in 0..<8 { q.storeBytes(of: Int8(truncatingIfNeeded: bits[lane]), toByteOffset: 8 * k + lane, as: Int8.self) }
        }
        if sum { y.storeBytes(of: Half.bits(d * Float(total.wrappedSum())), toByteOffset: 2, as: UInt16.self) }
    }

    /// One Q8_K block as ggml's `quantize_row_q8_K_ref`: iscale = −127/max with max the value of
    /// largest magnitude (the first, on ties), `nearest_int`, at most 127; d = 1/iscale; the sums
    /// of each 16 quants.
    @inline(__always)
    static func q8KBlock(_ x: UnsafePointer<Float>, into y: UnsafeMutableRawPointer) {
        var amax: Float = 0, maxValue: Float = 0
        for j in 0..<256 {
            let ax = abs(x[j])
            if ax > amax {
                amax = ax
                maxValue = x[j]
            }
        }
        let q = y + 4
        guard amax != 0 else {
            y.initializeMemory(as: UInt8.self, repeating: 0, count: 292)
            return
        }
        let iscale = -127 / maxValue
        for j in 0..<256 {
            // nearest_int: 1.5 × 2^23 added, the integer read back from the low bits.
            let v = Int32(bitPattern: (iscale * x[j] + 12_582_912).bitPattern & 0x007F_FFFF) - 0x0040_0000
            q.storeBytes(of: Int8(truncatingIfNeeded: min(127, v)), toByteOffset: j, as: Int8.self)
        }
        for group in 0..<16 {
            var total: Int32 = 0
            for k in 0..<16 { total += Int32(q.load(fromByteOffset: 16 * group + k, as: Int8.self)) }
            y.storeBytes(of: Int16(total), toByteOffset: 260 + 2 * group, as: Int16.self)
        }
        y.storeBytes(of: 1 / iscale, as: Float.self)
    }
}
