/// F32: plain floats, multiplied with an F32 input (as `DenseKernel`: llama.cpp's AVX2 tinyBLAS order).
enum F32Format: WeightFormat {
    static let typeNumber: UInt32 = 0
    static let name = "F32"
    static let blockValues = 1
    static let blockBytes = 4
    static let input = InputEncoding.f32

    enum Element: DenseElement {
        @inline(__always) static func load8(_ p: UnsafeRawPointer, _ i: Int) -> SIMD8<Float> {
            p.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
        }
        @inline(__always) static func value(_ p: UnsafeRawPointer, _ i: Int) -> Float { p.loadUnaligned(fromByteOffset: 4 * i, as: Float.self) }
    }

    static func dequantize(_ source: UnsafeRawPointer, blocks: Int, into output: UnsafeMutablePointer<Float>) {
        for i in 0..<blocks { output[i] = Element.value(source, i) }
    }

    static func dot(_ row: UnsafeRawPointer, _ quantisedInput: UnsafeRawPointer, blocks: Int) -> Float {
        DenseKernel.dot(Element.self, Element.self, row, quantisedInput, count: blocks)
    }

    static func dot(_ row: UnsafeRawPointer, inputs: UnsafeRawPointer, inputStride: Int, count: Int, blocks: Int,
                    into output: UnsafeMutablePointer<Float>, outputStride: Int) {
        DenseKernel.row(Element.self, Element.self, row, inputs: inputs, inputStride: inputStride, inputCount: count, values: blocks, into: output,
                        outputStride: outputStride)
    }

    static func multiply(rows: Range<Int>, of weights: UnsafeRawPointer, rowBytes: Int, inputs: UnsafeRawPointer, inputStride: Int,
                         count: Int, blocks: Int, into output: UnsafeMutablePointer<Float>, outputStride: Int) {
        DenseKernel.multiply(Element.self, Element.self, rows: rows, of: weights, rowBytes: rowBytes, inputs: inputs, inputStride: inputStride,
                             count: count, values: blocks, into: output, outputStride: outputStride)
    }

    static func portableDot(_ row: UnsafeRawPointer, _ quantisedInput: UnsafeRawPointer, blocks: Int) -> Float {
        dot(row, quantisedInput, blocks: blocks)
    }
}
