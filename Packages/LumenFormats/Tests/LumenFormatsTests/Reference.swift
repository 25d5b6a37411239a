/// A straightforward scalar reference of ggml's dot products, written from ggml-cpu/quants.c's
/// generic C (`ggml_vec_dot_*_generic`): quants decoded to integers one by one, integer products
/// and sums, no dequantising. It adds the float terms up two ways:
///
/// - `generic`: in the generic C code's order (one running float per row, or the 8 `sums[l]`
///   lanes of the K-quant generic code; for F32, F16 and BF16 a double sum). The library is not expected to match it exactly: only to
///   within float summation-order error.
/// - `lanes`: the same exact integers regrouped as ggml's AVX2 kernels group them (eight Int32 lanes,
///   lane L holding products 4L…4L+3 of each group of 32; one float lane per Int32 lane; `hsum_float_8`
///   at the end), which is the order the library uses on every path; for F32, F16 and BF16 the
///   order of llama.cpp's AVX2 tinyBLAS (one 8-lane fused sum per output). The library must match it bit
///   for bit. Its multiply-adds are fused exactly where the library's are (`LUMEN_FUSED_SIMD`).
enum Reference {
    struct Result {
        var generic: Float
        var lanes: Float
    }

    static func fma(_ acc: inout Float, _ a: Float, _ b: Float) {
        #if LUMEN_FUSED_SIMD
        acc = acc.addingProduct(a, b)
        #else
        acc += a * b
        #endif
    }

    static func hsum(_ v: [Float]) -> Float { ((v[0] + v[4]) + (v[2] + v[6])) + ((v[1] + v[5]) + (v[3] + v[7])) }
    static func haddSum(_ v: [Float]) -> Float { ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7])) }

    /// Lane sums of 32 products (lane L = products 4L…4L+3).
    static func lanes32(_ p: ArraySlice<Int32>) -> [Int32] {
        let base = p.startIndex
        return (0..<8).map { l in p[base + 4 * l] + p[base + 4 * l + 1] + p[base + 4 * l + 2] + p[base + 4 * l + 3] }
    }

    static func dot(_ name: String, _ w: [UInt8], _ x: [UInt8], blocks: Int) -> Result {
        switch name {
        case "Q4_0", "Q5_0", "Q8_0": return q8_0Family(name, w, x, blocks)
        case "Q4_1", "Q5_1": return q8_1Family(name, w, x, blocks)
        case "Q2_K": return q2K(w, x, blocks)
        case "Q3_K": return q3K(w, x, blocks)
        case "Q4_K", "Q5_K": return q45K(name, w, x, blocks)
        case "Q6_K": return q6K(w, x, blocks)
        default: return dense(name, w, x, count: blocks)
        }
    }

    // MARK: 32-value formats

    /// The 32 integer quants of block `b` (with Q4_0's −8 and Q5_0's −16 applied; Q4_1/Q5_1 unsigned).
    static func quants32(_ name: String, _ w: [UInt8], _ b: Int) -> [Int32] {
        var q = [Int32](repeating: 0, count: 32)
        switch name {
        case "Q4_0":
            let o = 18 * b + 2
            for j in 0..<16 { q[j] = (w.u8(o + j) & 0x0F) - 8; q[j + 16] = (w.u8(o + j) >> 4) - 8 }
        case "Q4_1":
            let o = 20 * b + 4
            for j in 0..<16 { q[j] = w.u8(o + j) & 0x0F; q[j + 16] = w.u8(o + j) >> 4 }
        case "Q5_0", "Q5_1":
            let base = name == "Q5_0" ? 22 * b : 24 * b + 2
            let qh = w.u32(base + 2), o = base + 6
            for j in 0..<16 {
                let xh0 = Int32(((qh & (1 << UInt32(j))) >> UInt32(j)) << 4)
                let xh1 = Int32((qh & (1 << UInt32(j + 16))) >> UInt32(j + 12))
                q[j] = (w.u8(o + j) & 0x0F) | xh0
                q[j + 16] = (w.u8(o + j) >> 4) | xh1
                if name == "Q5_0" { q[j] -= 16; q[j + 16] -= 16 }
            }
        default:  // Q8_0
            for j in 0..<32 { q[j] = w.i8(34 * b + 2 + j) }
        }
        return q
    }

    static func q8_0Family(_ name: String, _ w: [UInt8], _ x: [UInt8], _ blocks: Int) -> Result {
        let size = name == "Q4_0" ? 18 : name == "Q5_0" ? 22 : 34
        var generic: Float = 0
        var acc = [Float](repeating: 0, count: 8)
        for b in 0..<blocks {
            let q = quants32(name, w, b)
            let products = (0..<32).map { q[$0] * x.i8(34 * b + 2 + $0) }
            let sumi = products.reduce(0, +)
            let dx = w.f16(size * b), dy = x.f16(34 * b)
            switch name {
            case "Q4_0": generic += Float(sumi) * dx * dy
            case "Q5_0": generic += (dx * dy) * Float(sumi)
            default: generic += Float(sumi) * (dx * dy)
            }
            let lanes = lanes32(products[...])
            for l in 0..<8 { fma(&acc[l], dx * dy, Float(lanes[l])) }
        }
        return Result(generic: generic, lanes: hsum(acc))
    }

    static func q8_1Family(_ name: String, _ w: [UInt8], _ x: [UInt8], _ blocks: Int) -> Result {
        let size = name == "Q4_1" ? 20 : 24
        var generic: Float = 0, offsets: Float = 0
        var acc = [Float](repeating: 0, count: 8)
        for b in 0..<blocks {
            let q = quants32(name, w, b)
            let products = (0..<32).map { q[$0] * x.i8(36 * b + 4 + $0) }
            let sumi = products.reduce(0, +)
            let d = w.f16(size * b), m = w.f16(size * b + 2), dy = x.f16(36 * b), sy = x.f16(36 * b + 2)
            generic += (d * dy) * Float(sumi) + m * sy
            fma(&offsets, m, sy)
            let lanes = lanes32(products[...])
            for l in 0..<8 { fma(&acc[l], d * dy, Float(lanes[l])) }
        }
        return Result(generic: generic, lanes: hsum(acc) + offsets)
    }

    // MARK: K-quants (Q8_K input: float d at 0, quants at 4…259, Int16 block sums at 260…291)

    static func q8K(_ x: [UInt8], _ i: Int) -> (d: Float, q: [Int32], bsums: [Int32]) {
        let o = 292 * i
        return (x.f32(o), (0..<256).map { x.i8(o + 4 + $0) }, (0..<16).map { x.i16(o + 260 + 2 * $0) })
    }

    /// Int32 lanes of Σ scale × products for 16-value scales (`scales[v / 16]`).
    static func lanes16(_ products: [Int32], _ scales: [Int32]) -> [Int32] {
        var sumi = [Int32](repeating: 0, count: 8)
        for g in 0..<8 {
            let lanes = lanes32(products[(32 * g)..<(32 * g + 32)])
            for l in 0..<8 { sumi[l] += lanes[l] * scales[2 * g + (l < 4 ? 0 : 1)] }
        }
        return sumi
    }

    /// The K-quant generic code's eight `sums[l]` lanes: aux32[l] += scale × q8·a over 8-value steps.
    static func genericLanes(_ products: [Int32], scale: (Int) -> Int32) -> [Int32] {
        var aux32 = [Int32](repeating: 0, count: 8)
        for v in 0..<256 { aux32[v % 8] += scale(v) * products[v] }
        return aux32
    }

    static func q2K(_ w: [UInt8], _ x: [UInt8], _ blocks: Int) -> Result {
        var generic: Float = 0
        var acc = [Float](repeating: 0, count: 8)
        for i in 0..<blocks {
            let o = 84 * i, y = q8K(x, i)
            let sc = (0..<16).map { w.u8(o + $0) }
            var q = [Int32](repeating: 0, count: 256)
            for n in 0..<2 { for k in 0..<4 { for l in 0..<32 { q[128 * n + 32 * k + l] = (w.u8(o + 16 + 32 * n + l) >> Int32(2 * k)) & 3 } } }
            let products = (0..<256).map { q[$0] * y.q[$0] }
            var summs: Int32 = 0
            for j in 0..<16 { summs += y.bsums[j] * (sc[j] >> 4) }
            var isum: Int32 = 0
            for v in 0..<256 { isum += (sc[v / 16] & 0x0F) * products[v] }
            let xd = w.f16(o + 80), xdmin = w.f16(o + 82)
            generic += (y.d * xd) * Float(isum) - (y.d * xdmin) * Float(summs)
            let d = y.d * xd, dmin = -y.d * xdmin
            for l in 0..<8 { fma(&acc[l], dmin, Float((sc[2 * l] >> 4) * y.bsums[2 * l] + (sc[2 * l + 1] >> 4) * y.bsums[2 * l + 1])) }
            let sumi = lanes16(products, sc.map { $0 & 0x0F })
            for l in 0..<8 { fma(&acc[l], d, Float(sumi[l])) }
        }
        return Result(generic: generic, lanes: hsum(acc))
    }

    static func q3K(_ w: [UInt8], _ x: [UInt8], _ blocks: Int) -> Result {
        var sums = [Float](repeating: 0, count: 8)
        var acc = [Float](repeating: 0, count: 8)
        for i in 0..<blocks {
            let o = 110 * i, y = q8K(x, i)
            var q = [Int32](repeating: 0, count: 256)
            for n in 0..<2 {
                for k in 0..<4 {
                    for l in 0..<32 {
                        let low = (w.u8(o + 32 + 32 * n + l) >> Int32(2 * k)) & 3
                        let high: Int32 = w.u8(o + l) & (1 << Int32(4 * n + k)) != 0 ? 0 : 4
                        q[128 * n + 32 * k + l] = low - high
                    }
                }
            }
            // The 6-bit scales: low nibbles from bytes 0…7, high pairs from bytes 8…11.
            var sc = [Int32](repeating: 0, count: 16)
            for j in 0..<16 {
                let low = j < 8 ? w.u8(o + 96 + j) & 0x0F : w.u8(o + 96 + j - 8) >> 4
                let high = (w.u8(o + 96 + 8 + j % 4) >> Int32(2 * (j / 4))) & 3
                sc[j] = (low | high << 4) - 32
            }
            let products = (0..<256).map { q[$0] * y.q[$0] }
            let d = w.f16(o + 108) * y.d
            let aux = genericLanes(products) { sc[$0 / 16] }
            for l in 0..<8 { sums[l] += d * Float(aux[l]) }
            let sumi = lanes16(products, sc)
            for l in 0..<8 { fma(&acc[l], y.d * w.f16(o + 108), Float(sumi[l])) }
        }
        var generic: Float = 0
        for l in 0..<8 { generic += sums[l] }
        return Result(generic: generic, lanes: hsum(acc))
    }

    /// get_scale_min_k4.
    static func scaleMin(_ j: Int, _ w: [UInt8], _ o: Int) -> (Int32, Int32) {
        if j < 4 { return (w.u8(o + j) & 63, w.u8(o + j + 4) & 63) }
        return ((w.u8(o + j + 4) & 0x0F) | ((w.u8(o + j - 4) >> 6) << 4), (w.u8(o + j + 4) >> 4) | ((w.u8(o + j) >> 6) << 4))
    }

    static func q45K(_ name: String, _ w: [UInt8], _ x: [UInt8], _ blocks: Int) -> Result {
        let five = name == "Q5_K", size = five ? 176 : 144
        var sums = [Float](repeating: 0, count: 8)
        var generic: Float = 0
        var acc = [Float](repeating: 0, count: 8)
        var accMins = [Float](repeating: 0, count: 4)
        var summs: Float = 0
        for i in 0..<blocks {
            let o = size * i, y = q8K(x, i)
            let qs = o + (five ? 48 : 16)
            var q = [Int32](repeating: 0, count: 256)
            for j in 0..<4 {
                for l in 0..<32 {
                    q[64 * j + l] = w.u8(qs + 32 * j + l) & 0x0F
                    q[64 * j + 32 + l] = w.u8(qs + 32 * j + l) >> 4
                    if five {
                        q[64 * j + l] += w.u8(o + 16 + l) & (1 << Int32(2 * j)) != 0 ? 16 : 0
                        q[64 * j + 32 + l] += w.u8(o + 16 + l) & (1 << Int32(2 * j + 1)) != 0 ? 16 : 0
                    }
                }
            }
            let sm = (0..<8).map { scaleMin($0, w, o + 4) }
            let scales = sm.map { $0.0 }, mins = sm.map { $0.1 }
            let products = (0..<256).map { q[$0] * y.q[$0] }
            // generic
            var sumiMins: Int32 = 0
            for j in 0..<16 { sumiMins += y.bsums[j] * mins[j / 2] }
            let aux = genericLanes(products) { scales[$0 / 32] }
            let d = w.f16(o) * y.d
            for l in 0..<8 { sums[l] += d * Float(aux[l]) }
            generic -= (w.f16(o + 2) * y.d) * Float(sumiMins)
            // AVX2 lanes
            let dAVX = y.d * w.f16(o), dmin = -y.d * w.f16(o + 2)
            var sumi = [Int32](repeating: 0, count: 8)
            for g in 0..<8 {
                let lanes = lanes32(products[(32 * g)..<(32 * g + 32)])
                for l in 0..<8 { sumi[l] += lanes[l] * scales[g] }
            }
            for l in 0..<8 { fma(&acc[l], dAVX, Float(sumi[l])) }
            var prod = [Int32](repeating: 0, count: 4)
            for k in 0..<4 {
                let pairLow: Int32 = y.bsums[4 * k] + y.bsums[4 * k + 1]
                let pairHigh: Int32 = y.bsums[4 * k + 2] + y.bsums[4 * k + 3]
                prod[k] = mins[2 * k] * pairLow + mins[2 * k + 1] * pairHigh
            }
            if five {
                let total: Int32 = (prod[0] + prod[1]) + (prod[2] + prod[3])
                fma(&summs, dmin, Float(total))
            } else {
                for k in 0..<4 { fma(&accMins[k], dmin, Float(prod[k])) }
            }
        }
        for l in 0..<8 { generic += sums[l] }
        let lanes = five ? hsum(acc) + summs : hsum(acc) + ((accMins[0] + accMins[2]) + (accMins[1] + accMins[3]))
        return Result(generic: generic, lanes: lanes)
    }

    static func q6K(_ w: [UInt8], _ x: [UInt8], _ blocks: Int) -> Result {
        var sums = [Float](repeating: 0, count: 8)
        var acc = [Float](repeating: 0, count: 8)
        for i in 0..<blocks {
            let o = 210 * i, y = q8K(x, i)
            var q = [Int32](repeating: 0, count: 256)  // unsigned 0…63
            for n in 0..<2 {
                for l in 0..<32 {
                    let a = w.u8(o + 64 * n + l), b = w.u8(o + 64 * n + 32 + l), h = w.u8(o + 128 + 32 * n + l)
                    q[128 * n + l] = (a & 0x0F) | ((h & 3) << 4)
                    q[128 * n + 32 + l] = (b & 0x0F) | (((h >> 2) & 3) << 4)
                    q[128 * n + 64 + l] = (a >> 4) | (((h >> 4) & 3) << 4)
                    q[128 * n + 96 + l] = (b >> 4) | (((h >> 6) & 3) << 4)
                }
            }
            let sc = (0..<16).map { w.i8(o + 192 + $0) }
            let d = w.f16(o + 208) * y.d
            // generic: a = q − 32
            let signedProducts = (0..<256).map { (q[$0] - 32) * y.q[$0] }
            let aux = genericLanes(signedProducts) { sc[$0 / 16] }
            for l in 0..<8 { sums[l] += d * Float(aux[l]) }
            // AVX2: unsigned products, minus 32 × scale × block sums per lane
            var sumi = lanes16((0..<256).map { q[$0] * y.q[$0] }, sc)
            for l in 0..<8 { sumi[l] -= 32 * (y.bsums[2 * l] * sc[2 * l] + y.bsums[2 * l + 1] * sc[2 * l + 1]) }
            for l in 0..<8 { fma(&acc[l], y.d * w.f16(o + 208), Float(sumi[l])) }
        }
        var generic: Float = 0
        for l in 0..<8 { generic += sums[l] }
        return Result(generic: generic, lanes: hsum(acc))
    }

    // MARK: Dense

    static func dense(_ name: String, _ w: [UInt8], _ x: [UInt8], count: Int) -> Result {
        func value(_ bytes: [UInt8], _ i: Int) -> Float {
            switch name {
            case "F32": return bytes.f32(4 * i)
            case "F16": return bytes.f16(2 * i)
            default: return Float(bitPattern: UInt32(bytes[2 * i]) << 16 | UInt32(bytes[2 * i + 1]) << 24)
            }
        }
        var generic = 0.0
        for i in 0..<count { generic += Double(value(w, i) * value(x, i)) }
        // llama.cpp's AVX2 tinyBLAS: one 8-lane sum per output, fused multiply-adds, hsum, then the
        // leftover columns multiply-added one by one.
        var acc = [Float](repeating: 0, count: 8)
        let whole = count & ~7
        for i in 0..<whole { fma(&acc[i % 8], value(w, i), value(x, i)) }
        var lanes = hsum(acc)
        for i in whole..<count { fma(&lanes, value(w, i), value(x, i)) }
        return Result(generic: Float(generic), lanes: lanes)
    }
}
