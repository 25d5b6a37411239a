import Foundation
import LumenAPI

/// Deterministic unit vectors: each input's vector is a pure function of its text.
struct SimulatedEmbedding {
    var inputs: [String]
    var dimensions: Int
    var base64: Bool

    init(body: JSONValue, defaultDimensions: Int) throws(OpenAIError) {
        guard let model = body["model"]?.stringValue, !model.isEmpty else {
            throw .invalidRequest("model is required and must be a string", param: "model")
        }
        switch body["input"] {
        case .string(let text)?:
            inputs = [text]
        case .list(let items)? where !items.isEmpty:
            if items.allSatisfy({ $0.stringValue != nil }) {
                inputs = items.compactMap(\.stringValue)
            } else if items.allSatisfy({ $0.intValue != nil }) {
                inputs = [items.compactMap(\.intValue).map(String.init).joined(separator: " ")]
            } else if items.allSatisfy({ $0.arrayValue?.allSatisfy { $0.intValue != nil } ?? false }) {
                inputs = items.map { ($0.arrayValue ?? []).compactMap(\.intValue).map(String.init).joined(separator: " ") }
            } else {
                throw .invalidRequest("input must be a string, an array of strings, or token arrays", param: "input")
            }
        default:
            throw .invalidRequest("input is required: a string or a non-empty array of strings", param: "input")
        }
        dimensions = defaultDimensions
        if let requested = body["dimensions"], !requested.isNull {
            guard let value = requested.intValue, (1...4096).contains(value) else {
                throw .invalidRequest("dimensions must be an integer from 1 to 4096", param: "dimensions")
            }
            dimensions = value
        }
        switch body["encoding_format"]?.stringValue ?? "float" {
        case "float": base64 = false
        case "base64": base64 = true
        default: throw .invalidRequest("encoding_format must be float or base64", param: "encoding_format")
        }
    }

    func vector(for text: String) -> [Float] {
        var generator = SplitMix64(seed: SimulatedText.fingerprint(text))
        let raw = (0..<dimensions).map { _ in Float(Double(generator.next() >> 11) / Double(1 << 53) * 2 - 1) }
        let norm = raw.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return raw.map { $0 / max(norm, .leastNonzeroMagnitude) }
    }

    func response(model: String) -> JSONValue {
        var tokens = 0
        let data = inputs.enumerated().map { index, text -> JSONValue in
            tokens += SimulatedRequest.wordCount(text)
            let vector = vector(for: text)
            let embedding: JSONValue
            if base64 {
                var bytes = Data(capacity: vector.count * 4)
                for value in vector { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
                embedding = .string(bytes.base64EncodedString())
            } else {
                embedding = .list(vector.map { .number(String($0)) })
            }
            return .map([.init("object", .string("embedding")), .init("index", .number(String(index))), .init("embedding", embedding)])
        }
        return .map([
            .init("object", .string("list")), .init("data", .list(data)), .init("model", .string(model)),
            .init("usage", .map([.init("prompt_tokens", .number(String(tokens))), .init("total_tokens", .number(String(tokens)))])),
        ])
    }
}
