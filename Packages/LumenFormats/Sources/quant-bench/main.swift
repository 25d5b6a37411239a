// quant-bench: times LumenFormats' matrix-vector and matrix-matrix products per weight format.
//
//   swift build -c release -Xswiftc -DLUMEN_FUSED_SIMD -Xcc -mavx2 -Xcc -mfma -Xcc -mf16c
//   .build/release/quant-bench [--threads N] [--seconds S] [FORMAT…]
//
// For each format and shape (576 outputs × 1536 columns, and 1536 × 576 where the format's blocks
// divide 576), it multiplies the weights with 1 input row and with 32 rows (inputs already encoded,
// as the engine encodes them once per matrix) and prints the best time per call, nanoseconds per
// weight row, and weight gigabytes per second (weight bytes ÷ time: each row is read once per call).
//
// `quant-bench export DIR` / `quant-bench compare DIR` write random weights and inputs for an
// outside implementation (scripts/ggml-check.c) and compare its results with LumenFormats'.
import Dispatch
import Foundation
@testable import LumenFormats

struct Options {
    var threads = 1
    var seconds = 0.25
    var formats: [String] = []
}

func parse() -> (String?, [String], Options) {
    var options = Options()
    var args = Array(CommandLine.arguments.dropFirst())
    var command: String?
    if let first = args.first, ["export", "compare"].contains(first) { command = first; args.removeFirst() }
    var rest: [String] = []
    var i = 0
    while i < args.count {
        switch args[i] {
        case "--threads": options.threads = Int(args[i + 1])!; i += 1
        case "--seconds": options.seconds = Double(args[i + 1])!; i += 1
        default: rest.append(args[i])
        }
        i += 1
    }
    if command == nil { options.formats = rest }
    return (command, rest, options)
}

final class Buffer: @unchecked Sendable {
    let bytes: UnsafeMutableRawPointer
    let count: Int
    init(count: Int) {
        self.count = count
        bytes = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 64)
    }
    deinit { bytes.deallocate() }
}

struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Realistic weights: values quantised from normal-ish floats for the formats the library can
/// encode (dense ones), random bytes with moderate half-precision scales for the others.
func makeWeights(_ format: any WeightFormat.Type, outputs: Int, columns: Int, rng: inout SplitMix) -> Buffer {
    let blocks = outputs * columns / format.blockValues
    let buffer = Buffer(count: blocks * format.blockBytes)
    let raw = buffer.bytes
    for i in 0..<buffer.count { raw.storeBytes(of: UInt8.random(in: 0...255, using: &rng), toByteOffset: i, as: UInt8.self) }
    func half(_ offset: Int, _ value: Float) { raw.storeBytes(of: Float16(value).bitPattern, toByteOffset: offset, as: UInt16.self) }
    switch format.name {
    case "F32":
        for i in 0..<blocks { raw.storeBytes(of: Float.random(in: -0.1...0.1, using: &rng), toByteOffset: 4 * i, as: Float.self) }
    case "F16":
        for i in 0..<blocks { half(2 * i, Float.random(in: -0.1...0.1, using: &rng)) }
    case "BF16":
        for i in 0..<blocks {
            raw.storeBytes(of: UInt16(Float.random(in: -0.1...0.1, using: &rng).bitPattern >> 16), toByteOffset: 2 * i, as: UInt16.self)
        }
    default:
        let offsets: [Int] = switch format.name {
        case "Q4_0", "Q5_0", "Q8_0": [0]
        case "Q4_1", "Q5_1", "Q4_K", "Q5_K": [0, 2]
        case "Q2_K": [80, 82]
        case "Q3_K": [108]
        default: [208]
        }
        for b in 0..<blocks { for o in offsets { half(b * format.blockBytes + o, Float.random(in: 0.001...0.01, using: &rng)) } }
    }
    return buffer
}

func makeInputs(_ format: any WeightFormat.Type, rows: Int, columns: Int, rng: inout SplitMix) -> (floats: [Float], encoded: Buffer) {
    let floats = (0..<(rows * columns)).map { _ in Float.random(in: -1...1, using: &rng) }
    let encoded = Buffer(count: InputQuantizer.bytes(count: columns, as: format.input) * rows)
    floats.withUnsafeBufferPointer { InputQuantizer.quantize(rows: rows, columns: columns, $0.baseAddress!, as: format.input, into: encoded.bytes) }
    return (floats, encoded)
}

func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

/// Best seconds per call of `body` over rounds of about `seconds / 5`.
func time(_ seconds: Double, _ body: () -> Void) -> Double {
    body()
    var calls = 1
    var start = now()
    body()
    var elapsed = now() - start
    while elapsed < seconds / 20 {
        calls *= 2
        start = now()
        for _ in 0..<calls { body() }
        elapsed = now() - start
    }
    var best = elapsed / Double(calls)
    for _ in 0..<5 {
        start = now()
        for _ in 0..<calls { body() }
        best = min(best, (now() - start) / Double(calls))
    }
    return best
}

func multiply(_ format: any WeightFormat.Type, _ weights: Buffer, outputs: Int, columns: Int, _ inputs: Buffer, rows: Int,
              into output: UnsafeMutablePointer<Float>, threads: Int) {
    if threads == 1 {
        WeightFormats.multiply(rowsOf: weights.bytes, format: format, outputs: outputs, columns: columns, inputs: inputs.bytes,
                               inputCount: rows, into: output, outputRange: 0..<outputs)
        return
    }
    let out = UnsafeMutableRawPointer(output)
    nonisolated(unsafe) let shared = out
    DispatchQueue.concurrentPerform(iterations: threads) { part in
        let range = (outputs * part / threads)..<(outputs * (part + 1) / threads)
        WeightFormats.multiply(rowsOf: weights.bytes, format: format, outputs: outputs, columns: columns, inputs: inputs.bytes,
                               inputCount: rows, into: shared.assumingMemoryBound(to: Float.self), outputRange: range)
    }
}

func bench(_ options: Options) {
    #if LUMEN_FUSED_SIMD
    let path = "AVX2/FMA kernels (LUMEN_FUSED_SIMD)"
    #else
    let path = "portable kernels"
    #endif
    print("quant-bench: \(path), \(options.threads) thread(s); best of 6 rounds; GB/s = weight bytes / time")
    print("format  shape       rows   µs/call   ns/row   GB/s   vs F32")
    var rng = SplitMix(state: 42)
    var baseline: [String: Double] = [:]
    let names = options.formats.isEmpty ? ["F32"] + WeightFormats.supportedNames.filter { $0 != "F32" } : options.formats
    for name in names {
        guard let format = WeightFormats.format(named: name) else { print("unknown format \(name)"); continue }
        for (outputs, columns) in [(576, 1536), (1536, 576)] {
            guard columns % format.blockValues == 0 else {
                print(String(format: "%-6@  %4dx%-5d   n/a (%d columns are not whole %d-value blocks)", format.name as NSString, outputs, columns, columns, format.blockValues))
                continue
            }
            let weights = makeWeights(format, outputs: outputs, columns: columns, rng: &rng)
            for rows in [1, 32] {
                let inputs = makeInputs(format, rows: rows, columns: columns, rng: &rng)
                let output = UnsafeMutablePointer<Float>.allocate(capacity: outputs * rows)
                defer { output.deallocate() }
                let seconds = time(options.seconds) {
                    multiply(format, weights, outputs: outputs, columns: columns, inputs.encoded, rows: rows, into: output, threads: options.threads)
                }
                let key = "\(outputs)x\(columns)x\(rows)"
                if format.name == "F32" { baseline[key] = seconds }
                let gbs = Double(weights.count) / seconds / 1e9
                let speedup = baseline[key].map { String(format: "%5.2fx", $0 / seconds) } ?? "   -"
                print(String(format: "%-6@  %4dx%-5d  %4d  %8.1f  %7.1f  %5.1f   %@", format.name as NSString, outputs, columns, rows,
                             seconds * 1e6, seconds * 1e9 / Double(outputs), gbs, speedup as NSString))
            }
        }
    }
}

// MARK: - Export / compare with an outside implementation

let exportShape = (outputs: 64, columns: 1536, rows: 4)

func export(_ directory: String) throws {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    var rng = SplitMix(state: 7)
    let floats = (0..<(exportShape.rows * exportShape.columns)).map { _ in Float.random(in: -1...1, using: &rng) * (Bool.random(using: &rng) ? 1 : 3) }
    try floats.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: "\(directory)/input.f32")) }
    for format in WeightFormats.all {
        let weights = makeWeights(format, outputs: exportShape.outputs, columns: exportShape.columns, rng: &rng)
        try Data(bytes: weights.bytes, count: weights.count).write(to: URL(fileURLWithPath: "\(directory)/\(format.name).w"))
    }
    print("wrote \(directory): \(exportShape.outputs) rows × \(exportShape.columns) columns per format, \(exportShape.rows) input rows")
}

func compare(_ directory: String) throws {
    let floats = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(directory)/input.f32"))).withUnsafeBytes { raw in
        (0..<(raw.count / 4)).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) }
    }
    let (outputs, columns, rows) = exportShape
    for format in WeightFormats.all {
        let weights = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(format.name).w")))
        guard let theirs = try? Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(format.name).out")) else { continue }
        let theirInput = try? [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(format.name).in")))
        let expected = [UInt8](theirs).withUnsafeBytes { raw in (0..<(raw.count / 4)).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) } }
        let stride = InputQuantizer.bytes(count: columns, as: format.input)
        var input = [UInt8](repeating: 0, count: stride * rows)
        floats.withUnsafeBufferPointer { v in input.withUnsafeMutableBytes { InputQuantizer.quantize(rows: rows, columns: columns, v.baseAddress!, as: format.input, into: $0.baseAddress!) } }
        let inputMatches = theirInput.map { $0 == input } ?? false
        var ours = [Float](repeating: 0, count: outputs * rows)
        weights.withUnsafeBytes { w in
            input.withUnsafeBytes { x in
                ours.withUnsafeMutableBufferPointer {
                    WeightFormats.multiply(rowsOf: w.baseAddress!, format: format, outputs: outputs, columns: columns, inputs: x.baseAddress!,
                                           inputCount: rows, into: $0.baseAddress!, outputRange: 0..<outputs)
                }
            }
        }
        var same = 0, worst: Float = 0
        for i in 0..<ours.count {
            if ours[i].bitPattern == expected[i].bitPattern { same += 1 }
            worst = max(worst, abs(ours[i] - expected[i]) / max(abs(expected[i]), 1e-3))
        }
        print(String(format: "%-5@ input %@  outputs identical %3d/%d  largest relative difference %.2e", format.name as NSString,
                     (inputMatches ? "identical" : "DIFFERS  ") as NSString, same, ours.count, worst))
    }
}

let (command, rest, options) = parse()
do {
    switch command {
    case "export": try export(rest.first ?? "/tmp/quant-check")
    case "compare": try compare(rest.first ?? "/tmp/quant-check")
    default: bench(options)
    }
} catch {
    print("quant-bench: \(error)")
    exit(1)
}
