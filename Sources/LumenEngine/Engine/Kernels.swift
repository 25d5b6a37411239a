
/// The engine's numeric kernels over raw memory: SIMD dot products, matrix products that read each
/// weight row once for a whole batch, split across threads. Each output element is summed in the
/// same order however many rows the batch has and however the work is split, so a sequence's
/// tokens do not depend on what it was batched with.
enum Kernels {
    #if LUMEN_FUSED_SIMD
    // Built for the machine's own vector unit (scripts/release-flags.sh): wide lanes and fused multiply-adds.
    typealias Lanes = SIMD16<Float>
    typealias LaneBits = SIMD16<UInt32>

    @inline(__always)
    static func accumulate(_ sum: inout Lanes, _ a: Lanes, _ b: Lanes) { sum.addProduct(a, b) }
    #else
    // Portable: without a known fused multiply-add, a fused one would be a call per lane.
    typealias Lanes = SIMD8<Float>
    typealias LaneBits = SIMD8<UInt32>

    @inline(__always)
    static func accumulate(_ sum: inout Lanes, _ a: Lanes, _ b: Lanes) { sum += a * b }
    #endif

    /// Runs `body` over `0..<count` split into about `threads` ranges, in parallel when worth it.
    static func parallel(_ count: Int, threads: Int, work: Int, _ body: (Range<Int>) -> Void) {
        let parts = work < 32_768 ? 1 : min(threads, count)
        guard parts > 1 else { return body(0..<count) }
        // The parts write disjoint output ranges.
        WorkerPool.shared(threads: threads).run(parts: parts) { part in
            body((count * part / parts)..<(count * (part + 1) / parts))
        }
    }

    @inline(__always)
    static func load(_ pointer: UnsafePointer<Float>) -> Lanes {
        UnsafeRawPointer(pointer).loadUnaligned(as: Lanes.self)
    }

    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
        var sum = Lanes()
        var index = 0
        while index + Lanes.scalarCount <= count {
            accumulate(&sum, load(a + index), load(b + index))
            index += Lanes.scalarCount
        }
        var total = sum.sum()
        while index < count {
            total += a[index] * b[index]
            index += 1
        }
        return total
    }

    /// `output[t][r] = weights[r] · input[t]` for `rows` inputs of `columns` values and `outputs`
    /// weight rows (row-major, as ggml stores them).
    static func multiply(_ weights: UnsafePointer<Float>, _ input: UnsafePointer<Float>, rows: Int, columns: Int, outputs: Int,
                         into output: UnsafeMutablePointer<Float>, threads: Int) {
        parallel(outputs, threads: threads, work: rows * columns * outputs) { range in
            var r = range.lowerBound
            // Tiles of four weight rows by two inputs: each load serves several sums, and each
            // sum runs in the same order as `dot`'s.
            while r + 4 <= range.upperBound {
                let w = (weights + r * columns, weights + (r + 1) * columns, weights + (r + 2) * columns, weights + (r + 3) * columns)
                var t = 0
                #if LUMEN_FUSED_SIMD
                // With 32 vector registers, four inputs at a time: 16 sums, 4 weights and 1 input.
                while t + 4 <= rows {
                    let x0 = input + t * columns, x1 = x0 + columns, x2 = x1 + columns, x3 = x2 + columns
                    var a0 = Lanes(), a1 = Lanes(), a2 = Lanes(), a3 = Lanes()
                    var b0 = Lanes(), b1 = Lanes(), b2 = Lanes(), b3 = Lanes()
                    var c0 = Lanes(), c1 = Lanes(), c2 = Lanes(), c3 = Lanes()
                    var d0 = Lanes(), d1 = Lanes(), d2 = Lanes(), d3 = Lanes()
                    var index = 0
                    while index + Lanes.scalarCount <= columns {
                        let m0 = load(w.0 + index), m1 = load(w.1 + index), m2 = load(w.2 + index), m3 = load(w.3 + index)
                        var v = load(x0 + index)
                        accumulate(&a0, m0, v); accumulate(&a1, m1, v); accumulate(&a2, m2, v); accumulate(&a3, m3, v)
                        v = load(x1 + index)
                        accumulate(&b0, m0, v); accumulate(&b1, m1, v); accumulate(&b2, m2, v); accumulate(&b3, m3, v)
                        v = load(x2 + index)
                        accumulate(&c0, m0, v); accumulate(&c1, m1, v); accumulate(&c2, m2, v); accumulate(&c3, m3, v)
                        v = load(x3 + index)
                        accumulate(&d0, m0, v); accumulate(&d1, m1, v); accumulate(&d2, m2, v); accumulate(&d3, m3, v)
                        index += Lanes.scalarCount
                    }
                    store(tail((a0.sum(), a1.sum(), a2.sum(), a3.sum()), w, x0, from: index, columns), to: output + t * outputs + r)
                    store(tail((b0.sum(), b1.sum(), b2.sum(), b3.sum()), w, x1, from: index, columns), to: output + (t + 1) * outputs + r)
                    store(tail((c0.sum(), c1.sum(), c2.sum(), c3.sum()), w, x2, from: index, columns), to: output + (t + 2) * outputs + r)
                    store(tail((d0.sum(), d1.sum(), d2.sum(), d3.sum()), w, x3, from: index, columns), to: output + (t + 3) * outputs + r)
                    t += 4
                }
                #endif
                while t + 2 <= rows {
                    let x0 = input + t * columns, x1 = x0 + columns
                    var a0 = Lanes(), a1 = Lanes(), a2 = Lanes(), a3 = Lanes()
                    var b0 = Lanes(), b1 = Lanes(), b2 = Lanes(), b3 = Lanes()
                    var index = 0
                    while index + Lanes.scalarCount <= columns {
                        let v0 = load(x0 + index), v1 = load(x1 + index)
                        let m0 = load(w.0 + index), m1 = load(w.1 + index), m2 = load(w.2 + index), m3 = load(w.3 + index)
                        accumulate(&a0, m0, v0); accumulate(&a1, m1, v0); accumulate(&a2, m2, v0); accumulate(&a3, m3, v0)
                        accumulate(&b0, m0, v1); accumulate(&b1, m1, v1); accumulate(&b2, m2, v1); accumulate(&b3, m3, v1)
                        index += Lanes.scalarCount
                    }
                    store(tail((a0.sum(), a1.sum(), a2.sum(), a3.sum()), w, x0, from: index, columns), to: output + t * outputs + r)
                    store(tail((b0.sum(), b1.sum(), b2.sum(), b3.sum()), w, x1, from: index, columns), to: output + (t + 1) * outputs + r)
                    t += 2
                }
                if t < rows {
                    let x = input + t * columns
                    var a0 = Lanes(), a1 = Lanes(), a2 = Lanes(), a3 = Lanes()
                    var index = 0
                    while index + Lanes.scalarCount <= columns {
                        let v = load(x + index)
                        accumulate(&a0, load(w.0 + index), v); accumulate(&a1, load(w.1 + index), v)
                        accumulate(&a2, load(w.2 + index), v); accumulate(&a3, load(w.3 + index), v)
                        index += Lanes.scalarCount
                    }
                    store(tail((a0.sum(), a1.sum(), a2.sum(), a3.sum()), w, x, from: index, columns), to: output + t * outputs + r)
                }
                r += 4
            }
            while r < range.upperBound {
                for t in 0..<rows { output[t * outputs + r] = dot(weights + r * columns, input + t * columns, columns) }
                r += 1
            }
        }
    }

    typealias Four = (Float, Float, Float, Float)

    /// The columns past the last whole lane group, added as `dot` adds them.
    @inline(__always)
    private static func tail(_ sums: Four, _ w: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>),
                             _ x: UnsafePointer<Float>, from start: Int, _ columns: Int) -> Four {
        var sums = sums
        for index in start..<columns {
            sums.0 += w.0[index] * x[index]
            sums.1 += w.1[index] * x[index]
            sums.2 += w.2[index] * x[index]
            sums.3 += w.3[index] * x[index]
        }
        return sums
    }

    @inline(__always)
    private static func store(_ sums: Four, to out: UnsafeMutablePointer<Float>) {
        out[0] = sums.0
        out[1] = sums.1
        out[2] = sums.2
        out[3] = sums.3
    }

    /// As ggml's `vec_dot_q8_0_q8_0`: each input row quantised to Q8_0 per 32-value block, then per
    /// block the integer dot product times both blocks' scales, summed in block order.
    static func multiplyQ8_0(scales: UnsafePointer<Float>, quants: UnsafePointer<Int8>, _ input: UnsafePointer<Float>, rows: Int, columns: Int,
                             outputs: Int, into output: UnsafeMutablePointer<Float>, threads: Int) {
        let blocks = columns / Q8_0.blockValues
        let inputQuants = UnsafeMutablePointer<Int8>.allocate(capacity: rows * columns)
        let inputScales = UnsafeMutablePointer<Float>.allocate(capacity: rows * blocks)
        defer {
            inputQuants.deallocate()
            inputScales.deallocate()
        }
        for t in 0..<rows {
            for block in 0..<blocks {
                let values = input + t * columns + block * Q8_0.blockValues
                var largest: Float = 0
                for index in 0..<Q8_0.blockValues { largest = max(largest, abs(values[index])) }
                let scale = largest / 127
                // 127 / max, not 1 / scale: as ggml computes it, to the last bit.
                let inverse: Float = largest == 0 ? 0 : 127 / largest
                inputScales[t * blocks + block] = Float(Float16(scale))
                let quantised = inputQuants + t * columns + block * Q8_0.blockValues
                // Adding 1.5 × 2^23 rounds to the nearest integer (ties to even, as ggml's vector code
                // rounds) and leaves it in the low bits: a loop the compiler vectorises.
                for index in 0..<Q8_0.blockValues {
                    quantised[index] = Int8(truncatingIfNeeded: (values[index] * inverse + 12_582_912).bitPattern)
                }
            }
        }
        parallel(outputs, threads: threads, work: rows * columns * outputs / 4) { range in
            #if LUMEN_FUSED_SIMD && arch(x86_64) && canImport(_Builtin_intrinsics)
            multiplyQ8_0Rows(range, weights: quants, scales: scales, inputs: inputQuants, inputScales: inputScales, rows: rows,
                             columns: columns, outputs: outputs, into: output)
            #else
            for r in range {
                let weightRow = quants + r * blocks * Q8_0.blockValues, weightScales = scales + r * blocks
                var t = 0
                // Four input rows at a time share each weight block's loads; each sum still adds its
                // blocks in order, as the one-row loop below does.
                while t + 4 <= rows {
                    var sums: Four = (0, 0, 0, 0)
                    for block in 0..<blocks {
                        let a = weightRow + block * Q8_0.blockValues
                        let b0 = inputQuants + t * columns + block * Q8_0.blockValues
                        let b1 = b0 + columns, b2 = b1 + columns, b3 = b2 + columns
                        var d0: Int32 = 0, d1: Int32 = 0, d2: Int32 = 0, d3: Int32 = 0
                        // Plain loops the compiler vectorises (generic SIMD conversions do not).
                        for index in 0..<Q8_0.blockValues {
                            let w = Int32(a[index])
                            d0 &+= w &* Int32(b0[index])
                            d1 &+= w &* Int32(b1[index])
                            d2 &+= w &* Int32(b2[index])
                            d3 &+= w &* Int32(b3[index])
                        }
                        let scale = weightScales[block], x = inputScales + t * blocks + block
                        sums.0 += Float(d0) * (scale * x[0])
                        sums.1 += Float(d1) * (scale * x[blocks])
                        sums.2 += Float(d2) * (scale * x[2 * blocks])
                        sums.3 += Float(d3) * (scale * x[3 * blocks])
                    }
                    output[t * outputs + r] = sums.0
                    output[(t + 1) * outputs + r] = sums.1
                    output[(t + 2) * outputs + r] = sums.2
                    output[(t + 3) * outputs + r] = sums.3
                    t += 4
                }
                while t < rows {
                    var sum: Float = 0
                    for block in 0..<blocks {
                        let a = weightRow + block * Q8_0.blockValues
                        let b = inputQuants + t * columns + block * Q8_0.blockValues
                        var dot: Int32 = 0
                        for index in 0..<Q8_0.blockValues { dot &+= Int32(a[index]) &* Int32(b[index]) }
                        sum += Float(dot) * (weightScales[block] * inputScales[t * blocks + block])
                    }
                    output[t * outputs + r] = sum
                    t += 1
                }
            }
            #endif
        }
    }

    /// A query's dot products with the 16 keys of a block stored dimension-major: one 16-lane
    /// multiply-add per dimension, no horizontal sums.
    @inline(__always)
    static func blockScores(_ query: UnsafePointer<Float>, _ keys: UnsafePointer<Float>, dimension: Int) -> SIMD16<Float> {
        var scores = SIMD16<Float>()
        for d in 0..<dimension {
            let column = UnsafeRawPointer(keys + d * 16).loadUnaligned(as: SIMD16<Float>.self)
            #if LUMEN_FUSED_SIMD
            scores.addProduct(SIMD16(repeating: query[d]), column)
            #else
            scores += SIMD16(repeating: query[d]) * column
            #endif
        }
        return scores
    }

    /// e^x for each lane: 2^n times a degree-6 polynomial on the remainder (within 3e-7 relative),
    /// a few vector operations where the C library's exp is a call per value.
    @inline(__always)
    static func exp(_ x: Lanes) -> Lanes {
        let x = x.clamped(lowerBound: Lanes(repeating: -87), upperBound: Lanes(repeating: 88))
        // Adding 1.5 × 2^23 rounds x·log2(e) to an integer n held in the low bits.
        let magic = Lanes(repeating: 12_582_912)
        let shifted = x * 1.442_695_04 + magic
        let n = shifted - magic
        // Cody and Waite's two-part ln 2, and Cephes' polynomial for e^r on |r| ≤ ln 2 / 2.
        let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p = Lanes(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        p = p * (r * r) + r + 1
        let integer = unsafeBitCast(shifted, to: LaneBits.self) &- unsafeBitCast(magic, to: LaneBits.self)
        return p * unsafeBitCast((integer &+ 127) &<< 23, to: Lanes.self)
    }

    /// `exp` over `count` values in place.
    static func exp(_ values: UnsafeMutablePointer<Float>, count: Int) {
        var index = 0
        while index + Lanes.scalarCount <= count {
            UnsafeMutableRawPointer(values + index).storeBytes(of: exp(load(values + index)), as: Lanes.self)
            index += Lanes.scalarCount
        }
        guard index < count else { return }
        var rest = Lanes()
        for lane in 0..<(count - index) { rest[lane] = values[index + lane] }
        rest = exp(rest)
        for lane in 0..<(count - index) { values[index + lane] = rest[lane] }
    }

    /// `x` rounded to half precision and back, as llama.cpp's F16 key/value cache stores it.
    @inline(__always)
    static func roundToHalf(_ x: Float) -> Float {
        let magnitude = abs(x)
        // Normal half-precision range: round the mantissa to 10 bits, to nearest even.
        guard magnitude >= 6.103_515_6e-5, magnitude <= 65_504 else { return Float(Float16(x)) }
        let bits = x.bitPattern
        let rounded = (bits &+ 0x0FFF &+ ((bits >> 13) & 1)) & 0xFFFF_E000
        return Float(bitPattern: rounded)
    }
}
