/// An element type of the unquantised formats (F32, F16, BF16), for the shared dense kernels.
protocol DenseElement {
    /// Eight consecutive values from index `i` of `p`, as floats.
    static func load8(_ p: UnsafeRawPointer, _ i: Int) -> SIMD8<Float>
    static func value(_ p: UnsafeRawPointer, _ i: Int) -> Float
}

/// The dense formats' products as llama.cpp's AVX2 build computes its F32, F16 and BF16 matrix
/// products (llamafile's `tinyBLAS<8, __m256, …>`, which `ggml_compute_forward_mul_mat` takes for
/// them): one 8-lane sum per output, a fused multiply-add per 8 columns in column order, then
/// `hsum` (the same additions as `hsum_float_8`). Columns past the last multiple of 8 (which
/// tinyBLAS leaves to `ggml_vec_dot_*`) are multiply-added one by one after the horizontal sum.
/// The register tiles below (4 rows × 1 input, 2 rows × 4 inputs, …) all add each output in that
/// one order, so any tiling and batch size gives the same bits.
enum DenseKernel {
    typealias Acc = SIMD8<Float>

    @inline(__always)
    static func finish<W: DenseElement, X: DenseElement>(_: W.Type, _: X.Type, _ acc: Acc, _ w: UnsafeRawPointer, _ x: UnsafeRawPointer,
                                                        from start: Int, count: Int) -> Float {
        var total = Lanes.hsum(acc)
        for i in start..<count { Lanes.accumulate(&total, W.value(w, i), X.value(x, i)) }
        return total
    }

    @inline(__always)
    static func dot<W: DenseElement, X: DenseElement>(_: W.Type, _: X.Type, _ w: UnsafeRawPointer, _ x: UnsafeRawPointer, count: Int) -> Float {
        let whole = count & ~7
        var a = Acc(), l = 0
        while l < whole {
            Lanes.accumulate(&a, W.load8(w, l), X.load8(x, l))
            l += 8
        }
        return finish(W.self, X.self, a, w, x, from: whole, count: count)
    }

    /// Four rows, one input.
    @inline(__always)
    static func rows4<W: DenseElement, X: DenseElement>(_: W.Type, _: X.Type, _ w: UnsafeRawPointer, rowBytes: Int, _ x: UnsafeRawPointer,
                                                       count: Int, into out: UnsafeMutablePointer<Float>) {
        let w0 = w, w1 = w + rowBytes, w2 = w1 + rowBytes, w3 = w2 + rowBytes
        let whole = count & ~7
        var a0 = Acc(), a1 = Acc(), a2 = Acc(), a3 = Acc(), l = 0
        while l < whole {
            let v = X.load8(x, l)
            Lanes.accumulate(&a0, W.load8(w0, l), v)
            Lanes.accumulate(&a1, W.load8(w1, l), v)
            Lanes.accumulate(&a2, W.load8(w2, l), v)
            Lanes.accumulate(&a3, W.load8(w3, l), v)
            l += 8
        }
        out[0] = finish(W.self, X.self, a0, w0, x, from: whole, count: count)
        out[1] = finish(W.self, X.self, a1, w1, x, from: whole, count: count)
        out[2] = finish(W.self, X.self, a2, w2, x, from: whole, count: count)
        out[3] = finish(W.self, X.self, a3, w3, x, from: whole, count: count)
    }

    /// Two rows, four inputs (eight sums, two weight vectors and one input vector in registers).
    @inline(__always)
    static func rows2inputs4<W: DenseElement, X: DenseElement>(_: W.Type, _: X.Type, _ w: UnsafeRawPointer, rowBytes: Int, _ x: UnsafeRawPointer,
                                                              inputStride: Int, count: Int, into out: UnsafeMutablePointer<Float>,
                                                              outputStride: Int) {
        let w0 = w, w1 = w + rowBytes
        let x0 = x, x1 = x + inputStride, x2 = x1 + inputStride, x3 = x2 + inputStride
        let whole = count & ~7
        var a0 = Acc(), a1 = Acc(), a2 = Acc(), a3 = Acc(), b0 = Acc(), b1 = Acc(), b2 = Acc(), b3 = Acc(), l = 0
        while l < whole {
            let m0 = W.load8(w0, l), m1 = W.load8(w1, l)
            var v = X.load8(x0, l)
            Lanes.accumulate(&a0, m0, v)
            Lanes.accumulate(&b0, m1, v)
            v = X.load8(x1, l)
            Lanes.accumulate(&a1, m0, v)
            Lanes.accumulate(&b1, m1, v)
            v = X.load8(x2, l)
            Lanes.accumulate(&a2, m0, v)
            Lanes.accumulate(&b2, m1, v)
            v = X.load8(x3, l)
            Lanes.accumulate(&a3, m0, v)
            Lanes.accumulate(&b3, m1, v)
            l += 8
        }
        out[0] = finish(W.self, X.self, a0, w0, x0, from: whole, count: count)
        out[1] = finish(W.self, X.self, b0, w1, x0, from: whole, count: count)
        out[outputStride] = finish(W.self, X.self, a1, w0, x1, from: whole, count: count)
        out[outputStride + 1] = finish(W.self, X.self, b1, w1, x1, from: whole, count: count)
        out[2 * outputStride] = finish(W.self, X.self, a2, w0, x2, from: whole, count: count)
        out[2 * outputStride + 1] = finish(W.self, X.self, b2, w1, x2, from: whole, count: count)
        out[3 * outputStride] = finish(W.self, X.self, a3, w0, x3, from: whole, count: count)
        out[3 * outputStride + 1] = finish(W.self, X.self, b3, w1, x3, from: whole, count: count)
    }

    /// One row, four inputs.
    @inline(__always)
    static func inputs4<W: DenseElement, X: DenseElement>(_: W.Type, _: X.Type, _ w: UnsafeRawPointer, _ x: UnsafeRawPointer, inputStride: Int,
                                                         count: Int, into out: UnsafeMutablePointer<Float>, outputStride: Int) {
        let x0 = x, x1 = x + inputStride, x2 = x1 + inputStride, x3 = x2 + inputStride
        let whole = count & ~7
        var a0 = Acc(), a1 = Acc(), a2 = Acc(), a3 = Acc(), l = 0
        while l < whole {
            let m = W.load8(w, l)
            Lanes.accumulate(&a0, m, X.load8(x0, l))
            Lanes.accumulate(&a1, m, X.load8(x1, l))
            Lanes.accumulate(&a2, m, X.load8(x2, l))
            Lanes.accumulate(&a3, m, X.load8(x3, l))
            l += 8
        }
        out[0] = finish(W.self, X.self, a0, w, x0, from: whole, count: count)
        out[outputStride] = finish(W.self, X.self, a1, w, x1, from: whole, count: count)
        out[2 * outputStride] = finish(W.self, X.self, a2, w, x2, from: whole, count: count)
        out[3 * outputStride] = finish(W.self, X.self, a3, w, x3, from: whole, count: count)
    }

    /// One row, `count` inputs.
    @inline(__always)
    static func row<W: DenseElement, X: DenseElement>(_: W.Type, _: X.Type, _ w: UnsafeRawPointer, inputs: UnsafeRawPointer, inputStride: Int,
                                                     inputCount: Int, values: Int, into out: UnsafeMutablePointer<Float>, outputStride: Int) {
        var t = 0
        while t + 4 <= inputCount {
            inputs4(W.self, X.self, w, inputs + t * inputStride, inputStride: inputStride, count: values, into: out + t * outputStride,
                    outputStride: outputStride)
            t += 4
        }
        while t < inputCount {
            out[t * outputStride] = dot(W.self, X.self, w, inputs + t * inputStride, count: values)
            t += 1
        }
    }

    @inline(__always)
    static func multiply<W: DenseElement, X: DenseElement>(_: W.Type, _: X.Type, rows: Range<Int>, of weights: UnsafeRawPointer, rowBytes: Int,
                                                          inputs: UnsafeRawPointer, inputStride: Int, count: Int, values: Int,
                                                          into output: UnsafeMutablePointer<Float>, outputStride: Int) {
        var r = rows.lowerBound
        if count == 1 {
            while r + 4 <= rows.upperBound {
                rows4(W.self, X.self, weights + r * rowBytes, rowBytes: rowBytes, inputs, count: values, into: output + r)
                r += 4
            }
        } else if count >= 4 {
            while r + 2 <= rows.upperBound {
                var t = 0
                while t + 4 <= count {
                    rows2inputs4(W.self, X.self, weights + r * rowBytes, rowBytes: rowBytes, inputs + t * inputStride, inputStride: inputStride,
                                 count: values, into: output + t * outputStride + r, outputStride: outputStride)
                    t += 4
                }
                if t < count {
                    for k in 0..<2 {
                        row(W.self, X.self, weights + (r + k) * rowBytes, inputs: inputs + t * inputStride, inputStride: inputStride,
                            inputCount: count - t, values: values, into: output + t * outputStride + r + k, outputStride: outputStride)
                    }
                }
                r += 2
            }
        }
        while r < rows.upperBound {
            row(W.self, X.self, weights + r * rowBytes, inputs: inputs, inputStride: inputStride, inputCount: count, values: values,
                into: output + r, outputStride: outputStride)
            r += 1
        }
    }
}
