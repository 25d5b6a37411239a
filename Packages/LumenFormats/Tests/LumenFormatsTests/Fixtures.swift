import Foundation
@testable import LumenFormats

/// The fixtures written by scripts/format-fixtures.py (gguf-py as the independent encoder).
enum Fixtures {
    static let values = 1024

    static func bytes(_ name: String, filePath: String = #filePath) throws -> [UInt8] {
        let url = URL(fileURLWithPath: filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").appendingPathComponent(name)
        return [UInt8](try Data(contentsOf: url))
    }

    static func floats(_ name: String) throws -> [Float] {
        let raw = try bytes(name)
        return raw.withUnsafeBytes { buffer in (0..<(raw.count / 4)).map { buffer.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) } }
    }

    static var input: [Float] { get throws { try floats("input.f32") } }
}

/// Seeded pseudo-random numbers for the tests that need no oracle (SplitMix64).
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Array where Element == UInt8 {
    func f16(_ offset: Int) -> Float { Float(Float16(bitPattern: UInt16(self[offset]) | UInt16(self[offset + 1]) << 8)) }
    func f32(_ offset: Int) -> Float {
        Float(bitPattern: UInt32(self[offset]) | UInt32(self[offset + 1]) << 8 | UInt32(self[offset + 2]) << 16 | UInt32(self[offset + 3]) << 24)
    }
    func i8(_ offset: Int) -> Int32 { Int32(Int8(bitPattern: self[offset])) }
    func u8(_ offset: Int) -> Int32 { Int32(self[offset]) }
    func i16(_ offset: Int) -> Int32 { Int32(Int16(bitPattern: UInt16(self[offset]) | UInt16(self[offset + 1]) << 8)) }
    func u32(_ offset: Int) -> UInt32 {
        UInt32(self[offset]) | UInt32(self[offset + 1]) << 8 | UInt32(self[offset + 2]) << 16 | UInt32(self[offset + 3]) << 24
    }
}

/// Random but valid weight blocks for `format`: random bytes with moderate half-precision scales.
func randomBlocks(_ format: any WeightFormat.Type, blocks: Int, using rng: inout SeededGenerator) -> [UInt8] {
    if format.blockValues == 1 {
        // Dense: real values, stored in the format.
        let values = (0..<blocks).map { _ in Float.random(in: -0.5...0.5, using: &rng) }
        var bytes = [UInt8](repeating: 0, count: blocks * format.blockBytes)
        for (i, v) in values.enumerated() {
            switch format.blockBytes {
            case 4: withUnsafeBytes(of: v.bitPattern.littleEndian) { for k in 0..<4 { bytes[4 * i + k] = $0[k] } }
            default:
                let bits = format.name == "BF16" ? UInt16(v.bitPattern >> 16) : Float16(v).bitPattern
                bytes[2 * i] = UInt8(bits & 0xFF)
                bytes[2 * i + 1] = UInt8(bits >> 8)
            }
        }
        return bytes
    }
    var bytes = (0..<(blocks * format.blockBytes)).map { _ in UInt8.random(in: 0...255, using: &rng) }
    // Offsets of the half-precision scales in each block.
    let halves: [Int]
    switch format.name {
    case "Q4_0", "Q5_0", "Q8_0": halves = [0]
    case "Q4_1", "Q5_1", "Q4_K", "Q5_K": halves = [0, 2]
    case "Q2_K": halves = [80, 82]
    case "Q3_K": halves = [108]
    case "Q6_K": halves = [208]
    default: halves = []
    }
    for block in 0..<blocks {
        for offset in halves {
            let bits = Float16(Float.random(in: 0.001...0.02, using: &rng) * (Bool.random(using: &rng) || offset > 0 ? 1 : -1)).bitPattern
            bytes[block * format.blockBytes + offset] = UInt8(bits & 0xFF)
            bytes[block * format.blockBytes + offset + 1] = UInt8(bits >> 8)
        }
    }
    return bytes
}
