import Foundation
import Testing
@testable import LumenFormats

/// The formats the fixtures cover, by the names the fixture files use.
let fixtureFormats = ["F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"]

func format(_ name: String) -> any WeightFormat.Type { WeightFormats.format(named: name)! }

/// `input` encoded for `format` by the library.
func encode(_ input: [Float], as encoding: InputEncoding) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: InputQuantizer.bytes(count: input.count, as: encoding))
    input.withUnsafeBufferPointer { x in bytes.withUnsafeMutableBytes { InputQuantizer.quantize(x.baseAddress!, count: input.count, as: encoding, into: $0.baseAddress!) } }
    return bytes
}

func dot(_ f: any WeightFormat.Type, _ w: [UInt8], _ x: [UInt8], blocks: Int) -> Float {
    w.withUnsafeBytes { wb in x.withUnsafeBytes { xb in f.dot(wb.baseAddress!, xb.baseAddress!, blocks: blocks) } }
}

@Suite struct RegistryTests {
    @Test func typeNumbersAndLayouts() {
        let expected: [(UInt32, String, Int, Int, InputEncoding)] = [
            (0, "F32", 1, 4, .f32), (1, "F16", 1, 2, .f16), (30, "BF16", 1, 2, .bf16),
            (2, "Q4_0", 32, 18, .q8_0), (3, "Q4_1", 32, 20, .q8_1), (6, "Q5_0", 32, 22, .q8_0), (7, "Q5_1", 32, 24, .q8_1),
            (8, "Q8_0", 32, 34, .q8_0), (10, "Q2_K", 256, 84, .q8_K), (11, "Q3_K", 256, 110, .q8_K), (12, "Q4_K", 256, 144, .q8_K),
            (13, "Q5_K", 256, 176, .q8_K), (14, "Q6_K", 256, 210, .q8_K),
        ]
        for (type, name, values, bytes, input) in expected {
            let f = WeightFormats.format(forType: type)
            #expect(f != nil, "type \(type)")
            guard let f else { continue }
            #expect(f.name == name && f.blockValues == values && f.blockBytes == bytes && f.input == input, "\(name)")
        }
        for unsupported: UInt32 in [9, 15, 16, 20, 23, 24, 28, 29, 99] { #expect(WeightFormats.format(forType: unsupported) == nil) }
        #expect(WeightFormats.supportedNames.count == 13)
        #expect(WeightFormats.supportedList.hasSuffix(" and Q6_K"))
        #expect(WeightFormats.format(named: "q4_k")?.typeNumber == 12)
    }

    /// Bad input: a count that is not a whole number of blocks is refused.
    @Test func partialBlocksAreRefused() {
        #expect(Q4_0Format.byteCount(values: 64) == 36)
        #expect(Q4_0Format.byteCount(values: 48) == nil)
        #expect(Q4_KFormat.byteCount(values: 512) == 288)
        #expect(Q4_KFormat.byteCount(values: 576) == nil)
        #expect(Q6_KFormat.byteCount(values: 255) == nil)
        #expect(Q8_0Format.byteCount(values: -32) == nil)
        #expect(F16Format.byteCount(values: 7) == 14)
        #expect(Q4_KFormat.valueCount(bytes: 288) == 512)
        #expect(Q4_KFormat.valueCount(bytes: 289) == nil)
        #expect(Q5_0Format.valueCount(bytes: 23) == nil)
        #expect(InputEncoding.q8_K.layout == (256, 292))
        #expect(InputQuantizer.bytes(count: 512, as: .q8_K) == 584)
        #expect(InputQuantizer.bytes(count: 64, as: .q8_1) == 72)
    }
}

@Suite struct FixtureTests {
    /// (1) Dequantising equals gguf-py's dequantize, bit for bit.
    @Test(arguments: fixtureFormats)
    func dequantiseMatchesGGUF(_ name: String) throws {
        let f = format(name)
        let weights = try Fixtures.bytes("\(name).weights"), expected = try Fixtures.floats("\(name).dequant")
        let blocks = weights.count / f.blockBytes
        #expect(blocks * f.blockValues == expected.count)
        var output = [Float](repeating: .nan, count: expected.count)
        weights.withUnsafeBytes { w in output.withUnsafeMutableBufferPointer { f.dequantize(w.baseAddress!, blocks: blocks, into: $0.baseAddress!) } }
        let mismatches = (0..<expected.count).filter { output[$0].bitPattern != expected[$0].bitPattern }
        #expect(mismatches.isEmpty, "\(name): \(mismatches.count) values differ, first at \(mismatches.first ?? -1)")
    }

    /// The portable half-precision conversions are exact (every half; floats around every rounding boundary).
    @Test func halfConversions() {
        for bits in 0...UInt16.max {
            let h = Float16(bitPattern: bits)
            if h.isNaN { continue }
            #expect(Half.floatBits(bits).bitPattern == Float(h).bitPattern)
        }
        var rng = SeededGenerator(seed: 7)
        for _ in 0..<20_000 {
            let f = Float(bitPattern: UInt32.random(in: 0...0x7F7F_FFFF, using: &rng)) * (Bool.random(using: &rng) ? 1 : -1)
            #expect(Half.bitsPortable(f) == Float16(f).bitPattern, "\(f)")
            let tie = Float(bitPattern: (UInt32.random(in: 0x3000_0000...0x4780_0000, using: &rng) & ~0x1FFF) | 0x1000)
            #expect(Half.bitsPortable(tie) == Float16(tie).bitPattern, "\(tie)")
        }
    }

    /// (3) The input quantisers against gguf-py (reference Q8_0, F16, BF16) and the Python ports
    /// of ggml's AVX2 quantize_row_q8_0/_q8_1, quantize_row_q8_1_ref and quantize_row_q8_K_ref.
    @Test func inputQuantisersMatchGGML() throws {
        let x = try Fixtures.input
        let cases: [(InputEncoding, String, Bool)] = [
            (.q8_0, "input.q8_0", false), (.q8_0, "input.q8_0.ref", true), (.q8_1, "input.q8_1", false),
            (.q8_1, "input.q8_1.ref", true), (.q8_K, "input.q8_K", false), (.f16, "input.f16", false), (.bf16, "input.bf16", false),
        ]
        for (encoding, file, reference) in cases {
            let expected = try Fixtures.bytes(file)
            var bytes = [UInt8](repeating: 0xAA, count: InputQuantizer.bytes(count: x.count, as: encoding))
            x.withUnsafeBufferPointer { values in
                bytes.withUnsafeMutableBytes { out in
                    if reference {
                        InputQuantizer.quantizeReference(values.baseAddress!, count: x.count, as: encoding, into: out.baseAddress!)
                    } else {
                        InputQuantizer.quantize(values.baseAddress!, count: x.count, as: encoding, into: out.baseAddress!)
                    }
                }
            }
            let differing = (0..<expected.count).filter { bytes[$0] != expected[$0] }
            #expect(bytes.count == expected.count && differing.isEmpty, "\(file): \(differing.count) bytes differ, first at \(differing.first ?? -1)")
        }
        // The fixture's ties make the two Q8_0 roundings differ (else the check above proves little).
        #expect(try Fixtures.bytes("input.q8_0") != Fixtures.bytes("input.q8_0.ref"))
    }

    /// (2) The dot product: bit for bit the scalar reference's integers in ggml's AVX2 lane order;
    /// within summation-order error of the reference in ggml's generic C order; and within the
    /// format's error bound of the F32 product of gguf's dequantised weights and the raw input.
    @Test(arguments: fixtureFormats)
    func dotProductMatchesReference(_ name: String) throws {
        let f = format(name)
        let weights = try Fixtures.bytes("\(name).weights"), dequantised = try Fixtures.floats("\(name).dequant")
        let x = try Fixtures.input
        let input = encode(x, as: f.input)
        let blocks = weights.count / f.blockBytes
        let result = dot(f, weights, input, blocks: blocks)
        let reference = Reference.dot(name, weights, input, blocks: blocks)
        #expect(result.bitPattern == reference.lanes.bitPattern, "\(name): \(result) vs reference \(reference.lanes)")
        #expect(result == dot(f, weights, input, blocks: blocks))  // deterministic
        #expect(f.portableDot(weights.withUnsafeBytes { $0.baseAddress! }, input.withUnsafeBytes { $0.baseAddress! }, blocks: blocks).bitPattern
                == result.bitPattern || !isFusedBuild, "\(name): portable and vector paths differ in a fused build")

        // Magnitude of the terms, for summation-order error.
        var magnitude: Double = 0, exact: Double = 0
        for i in 0..<x.count {
            magnitude += Double(abs(dequantised[i] * x[i]))
            exact += Double(dequantised[i]) * Double(x[i])
        }
        let orderSlack = Double(blocks + 64) * 1.2e-7 * magnitude + 1e-30
        #expect(Double(abs(result - reference.generic)) <= orderSlack, "\(name): \(result) vs generic order \(reference.generic)")

        // Input quantisation error: per block Σ|w| × the input's rounding step (and its scale's own rounding).
        var bound = orderSlack
        let layout = f.input.layout
        if layout.values == 1 {
            let relative: Double = f.input == .f32 ? 0 : f.input == .f16 ? 0x1p-11 : 0x1p-8
            bound += relative * magnitude
        } else {
            for b in 0..<(x.count / layout.values) {
                let range = (b * layout.values)..<((b + 1) * layout.values)
                let amax = range.map { Double(abs(x[$0])) }.max()!
                let step = amax / 127
                let weightSum = range.map { Double(abs(dequantised[$0])) }.reduce(0, +)
                bound += weightSum * step * 0.57
            }
        }
        #expect(abs(Double(result) - exact) <= bound, "\(name): \(result) vs F32 \(exact), bound \(bound)")
    }

    /// The dense formats' leftover values (counts that are not a multiple of 32).
    @Test(arguments: ["F32", "F16", "BF16"])
    func denseLeftovers(_ name: String) throws {
        let f = format(name)
        let weights = try Fixtures.bytes("\(name).weights"), x = try Fixtures.input
        let input = encode(x, as: f.input)
        for count in [1, 7, 31, 33, 1000, 1023] {
            let result = dot(f, weights, input, blocks: count)
            #expect(result.bitPattern == Reference.dot(name, weights, input, blocks: count).lanes.bitPattern, "\(name) \(count)")
        }
    }
}

var isFusedBuild: Bool {
    #if LUMEN_FUSED_SIMD
    return true
    #else
    return false
    #endif
}

@Suite struct BatchTests {
    /// (4) Batched products equal single-row products bit for bit, for every batch size and row split.
    @Test(arguments: fixtureFormats)
    func batchedEqualsSingle(_ name: String) {
        let f = format(name)
        var rng = SeededGenerator(seed: UInt64(f.typeNumber) + 11)
        let columns = f.blockValues == 256 ? 512 : 96
        let blocks = columns / f.blockValues, rowBytes = blocks * f.blockBytes
        let outputs = 7, maxInputs = 13
        let weights = randomBlocks(f, blocks: blocks * outputs, using: &rng)
        let values = (0..<(columns * maxInputs)).map { _ in Float.random(in: -2...2, using: &rng) }
        let stride = InputQuantizer.bytes(count: columns, as: f.input)
        var inputs = [UInt8](repeating: 0, count: stride * maxInputs)
        values.withUnsafeBufferPointer { v in
            inputs.withUnsafeMutableBytes { InputQuantizer.quantize(rows: maxInputs, columns: columns, v.baseAddress!, as: f.input, into: $0.baseAddress!) }
        }
        weights.withUnsafeBytes { w in
            inputs.withUnsafeBytes { x in
                let w = w.baseAddress!, x = x.baseAddress!
                var single = [Float](repeating: 0, count: outputs * maxInputs)
                for t in 0..<maxInputs {
                    for r in 0..<outputs { single[t * outputs + r] = f.dot(w + r * rowBytes, x + t * stride, blocks: blocks) }
                }
                for r in 0..<outputs {
                    // Portable and vector kernels agree bit for bit in a fused build.
                    if isFusedBuild { #expect(f.portableDot(w + r * rowBytes, x, blocks: blocks).bitPattern == single[r].bitPattern) }
                }
                for count in [1, 2, 3, 4, 5, 8, 9, 13] {
                    for split in [[0..<outputs], [0..<3, 3..<outputs], [0..<1, 1..<2, 2..<6, 6..<7]] {
                        var batched = [Float](repeating: .nan, count: outputs * count)
                        batched.withUnsafeMutableBufferPointer { out in
                            for range in split {
                                WeightFormats.multiply(rowsOf: w, format: f, outputs: outputs, columns: columns, inputs: x, inputCount: count,
                                                       into: out.baseAddress!, outputRange: range)
                            }
                        }
                        let differing = (0..<(outputs * count)).filter { batched[$0].bitPattern != single[$0].bitPattern }
                        #expect(differing.isEmpty, "\(name): batch of \(count), split \(split.count): \(differing.count) differ")
                    }
                }
            }
        }
    }

    /// Rows are read at any alignment (memory-mapped tensor data need not align rows).
    @Test(arguments: ["Q4_0", "Q4_K", "Q6_K", "Q8_0", "F16"])
    func unalignedRows(_ name: String) {
        let f = format(name)
        var rng = SeededGenerator(seed: 99)
        let blocks = f.blockValues == 1 ? 64 : 2, columns = blocks * f.blockValues
        let weights = randomBlocks(f, blocks: blocks, using: &rng)
        let input = encode((0..<columns).map { _ in Float.random(in: -1...1, using: &rng) }, as: f.input)
        let aligned = dot(f, weights, input, blocks: blocks)
        for shift in 1..<4 {
            let shifted = [UInt8](repeating: 0, count: shift) + weights, shiftedInput = [UInt8](repeating: 0, count: shift) + input
            let result = shifted.withUnsafeBytes { w in
                shiftedInput.withUnsafeBytes { x in f.dot(w.baseAddress! + shift, x.baseAddress! + shift, blocks: blocks) }
            }
            #expect(result.bitPattern == aligned.bitPattern)
        }
    }

    /// The random-block dot products also match the scalar reference (more blocks than the fixtures).
    @Test(arguments: fixtureFormats)
    func randomBlocksMatchReference(_ name: String) {
        let f = format(name)
        var rng = SeededGenerator(seed: 1234 + UInt64(f.typeNumber))
        let blocks = f.blockValues == 1 ? 1000 : f.blockValues == 256 ? 6 : 48
        let columns = blocks * f.blockValues
        let weights = randomBlocks(f, blocks: blocks, using: &rng)
        let input = encode((0..<columns).map { _ in Float.random(in: -3...3, using: &rng) }, as: f.input)
        #expect(dot(f, weights, input, blocks: blocks).bitPattern == Reference.dot(name, weights, input, blocks: blocks).lanes.bitPattern)
    }
}
