import Foundation
import Testing
@testable import LumenEngine

@Suite struct KernelTests {
    @Test func vectorExpMatchesTheLibrarysWithinThreeTenMillionths() {
        var values = stride(from: -90, through: 88, by: 0.037).map { Float($0) } + [0, -0.0, 1e-8, -1e-8]
        let expected = values.map { Foundation.exp($0) }
        values.withUnsafeMutableBufferPointer { Kernels.exp($0.baseAddress!, count: $0.count) }
        for (value, reference) in zip(values, expected) where reference > 1e-37 {
            #expect(abs(value - reference) <= 3e-7 * reference, "\(value) vs \(reference)")
        }
        // Far below the range it is clamped, not garbage.
        #expect(values[0] >= 0 && values[0] < 1e-37)
    }

    @Test func matrixProductsAreExactlyTheSameForOneRowOrMany() {
        var random = SplitMix64(seed: 3)
        let (columns, outputs, rows) = (70, 13, 5)  // no multiple of the lane width or the tile
        let weights = (0..<(columns * outputs)).map { _ in random.nextFloat(in: -1...1) }
        let input = (0..<(columns * rows)).map { _ in random.nextFloat(in: -1...1) }
        var batched = [Float](repeating: 0, count: rows * outputs)
        var single = [Float](repeating: 0, count: outputs)
        weights.withUnsafeBufferPointer { w in
            input.withUnsafeBufferPointer { x in
                batched.withUnsafeMutableBufferPointer { out in
                    Kernels.multiply(w.baseAddress!, x.baseAddress!, rows: rows, columns: columns, outputs: outputs, into: out.baseAddress!, threads: 2)
                }
                for row in 0..<rows {
                    single.withUnsafeMutableBufferPointer { out in
                        Kernels.multiply(w.baseAddress!, x.baseAddress! + row * columns, rows: 1, columns: columns, outputs: outputs,
                                         into: out.baseAddress!, threads: 1)
                    }
                    #expect(Array(batched[(row * outputs)..<((row + 1) * outputs)]) == single, "row \(row)")
                    for output in 0..<outputs {
                        let plain = (0..<columns).reduce(Float(0)) { $0 + weights[output * columns + $1] * input[row * columns + $1] }
                        #expect(abs(single[output] - plain) < 1e-4)
                    }
                }
            }
        }
    }
}
