extension WeightFormats {
    /// `output[t * outputs + r] = row r of weights · input t` for the rows `outputRange` of an
    /// `outputs × columns` weight matrix in `format` (row-major, as GGUF stores it) and `inputCount`
    /// input rows already encoded as `format.input` (`InputQuantizer.bytes(count: columns, as:)`
    /// apart). The caller splits the rows across threads; every output is summed in the same
    /// order whatever `inputCount` and `outputRange` are, so batched results equal single-row ones.
    ///
    /// Each weight row is read from memory once for all the inputs: rows are taken in tiles of about
    /// 16 KiB, and each tile meets the inputs four or eight at a time while it is in the first-level
    /// cache.
    static func multiply(rowsOf weights: UnsafeRawPointer, format: any WeightFormat.Type, outputs: Int, columns: Int,
                         inputs quantised: UnsafeRawPointer, inputCount: Int, into output: UnsafeMutablePointer<Float>,
                         outputRange: Range<Int>) {
        precondition(columns % format.blockValues == 0, "\(columns) columns are not whole \(format.name) blocks of \(format.blockValues)")
        precondition(outputRange.lowerBound >= 0 && outputRange.upperBound <= outputs)
        let blocks = columns / format.blockValues
        let rowBytes = blocks * format.blockBytes
        let inputStride = InputQuantizer.bytes(count: columns, as: format.input)
        if inputCount >= 2, format.input == .f16 || format.input == .bf16 {
            // Half-precision inputs widened to floats once (exactly), not once per weight row.
            let floats = UnsafeMutablePointer<Float>.allocate(capacity: inputCount * columns)
            defer { floats.deallocate() }
            for t in 0..<inputCount {
                let x = quantised + t * inputStride, y = floats + t * columns
                if format.input == .f16 {
                    for i in 0..<columns { y[i] = F16Format.Element.value(x, i) }
                } else {
                    for i in 0..<columns { y[i] = BF16Format.Element.value(x, i) }
                }
            }
            tiled(outputRange, rowBytes: rowBytes, inputStride: 4 * columns, inputCount: inputCount, outputs: outputs, into: output) {
                rows, inputs, count, out in
                if format.input == .f16 {
                    DenseKernel.multiply(F16Format.Element.self, F32Format.Element.self, rows: rows, of: weights, rowBytes: rowBytes,
                                         inputs: UnsafeRawPointer(floats) + inputs, inputStride: 4 * columns, count: count,
                                         values: columns, into: out, outputStride: outputs)
                } else {
                    DenseKernel.multiply(BF16Format.Element.self, F32Format.Element.self, rows: rows, of: weights, rowBytes: rowBytes,
                                         inputs: UnsafeRawPointer(floats) + inputs, inputStride: 4 * columns, count: count,
                                         values: columns, into: out, outputStride: outputs)
                }
            }
            return
        }
        tiled(outputRange, rowBytes: rowBytes, inputStride: inputStride, inputCount: inputCount, outputs: outputs, into: output) {
            rows, inputs, count, out in
            format.multiply(rows: rows, of: weights, rowBytes: rowBytes, inputs: quantised + inputs, inputStride: inputStride, count: count,
                            blocks: blocks, into: out, outputStride: outputs)
        }
    }

    /// Runs `body(rows, input byte offset, input count, output)` over tiles of rows × groups of inputs.
    @inline(__always)
    private static func tiled(_ outputRange: Range<Int>, rowBytes: Int, inputStride: Int, inputCount: Int, outputs: Int,
                              into output: UnsafeMutablePointer<Float>,
                              _ body: (Range<Int>, Int, Int, UnsafeMutablePointer<Float>) -> Void) {
        guard inputCount > 8 else { return body(outputRange, 0, inputCount, output) }
        // About 16 KiB of weight rows and 24 KiB of inputs at a time: both stay in the 48 KiB L1.
        let tileRows = max(2, min(64, 16_384 / max(rowBytes, 1)))
        let groupSize = inputStride * 8 <= 24_576 ? 8 : 4
        var tile = outputRange.lowerBound
        while tile < outputRange.upperBound {
            let end = min(tile + tileRows, outputRange.upperBound)
            var t = 0
            while t < inputCount {
                let group = min(groupSize, inputCount - t)
                body(tile..<end, t * inputStride, group, output + t * outputs)
                t += group
            }
            tile = end
        }
    }
}
