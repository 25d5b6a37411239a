import Dispatch

/// The engine's numeric kernels over raw memory: SIMD dot products, matrix products that read each
/// weight row once for a whole batch, split across threads. Each output element is summed in the
/// same order however many rows the batch has and however the work is split, so a sequence's
/// tokens do not depend on what it was batched with.
enum Kernels {
    typealias Lanes = SIMD8<Float>

    /// Runs `body` over `0..<count` split into about `threads` ranges, in parallel when worth it.
    static func parallel(_ count: Int, threads: Int, work: Int, _ body: (Range<Int>) -> Void) {
        let parts = work < 32_768 ? 1 : min(threads, count)
        guard parts > 1 else { return body(0..<count) }
        withoutActuallyEscaping(body) { body in
            // The parts write disjoint output ranges; concurrentPerform returns when all are done.
            nonisolated(unsafe) let body = body
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                body((count * part / parts)..<(count * (part + 1) / parts))
            }
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
            sum += load(a + index) * load(b + index)
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
            // Four weight rows at a time share each input load; the sums are the same as `dot`'s.
            while r + 4 <= range.upperBound {
                let w0 = weights + r * columns, w1 = w0 + columns, w2 = w1 + columns, w3 = w2 + columns
                for t in 0..<rows {
                    let x = input + t * columns
                    var s0 = Lanes(), s1 = Lanes(), s2 = Lanes(), s3 = Lanes()
                    var index = 0
                    while index + Lanes.scalarCount <= columns {
                        let value = load(x + index)
                        s0 += load(w0 + index) * value
                        s1 += load(w1 + index) * value
                        s2 += load(w2 + index) * value
                        s3 += load(w3 + index) * value
                        index += Lanes.scalarCount
                    }
                    var totals = (s0.sum(), s1.sum(), s2.sum(), s3.sum())
                    while index < columns {
                        totals.0 += w0[index] * x[index]
                        totals.1 += w1[index] * x[index]
                        totals.2 += w2[index] * x[index]
                        totals.3 += w3[index] * x[index]
                        index += 1
                    }
                    let out = output + t * outputs + r
                    out[0] = totals.0
                    out[1] = totals.1
                    out[2] = totals.2
                    out[3] = totals.3
                }
                r += 4
            }
            while r < range.upperBound {
                for t in 0..<rows { output[t * outputs + r] = dot(weights + r * columns, input + t * columns, columns) }
                r += 1
            }
        }
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
                let inverse: Float = scale == 0 ? 0 : 1 / scale
                inputScales[t * blocks + block] = Float(Float16(scale))
                let quantised = inputQuants + t * columns + block * Q8_0.blockValues
                for index in 0..<Q8_0.blockValues { quantised[index] = Int8((values[index] * inverse).rounded()) }
            }
        }
        parallel(outputs, threads: threads, work: rows * columns * outputs / 4) { range in
            for r in range {
                for t in 0..<rows {
                    var sum: Float = 0
                    for block in 0..<blocks {
                        let a = quants + (r * blocks + block) * Q8_0.blockValues
                        let b = inputQuants + t * columns + block * Q8_0.blockValues
                        // A plain loop the compiler vectorises (generic SIMD conversions do not).
                        var dot: Int32 = 0
                        for index in 0..<Q8_0.blockValues { dot &+= Int32(a[index]) &* Int32(b[index]) }
                        sum += Float(dot) * (scales[r * blocks + block] * inputScales[t * blocks + block])
                    }
                    output[t * outputs + r] = sum
                }
            }
        }
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
