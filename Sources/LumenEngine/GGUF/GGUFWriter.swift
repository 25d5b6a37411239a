public import Foundation

/// Writes GGUF v3 files: metadata, then tensor infos, then the aligned tensor data.
public struct GGUFWriter {
    public struct Tensor {
        public var name: String
        /// Innermost first, as ggml orders them.
        public var dimensions: [Int]
        public var type: TensorType
        public var values: [Float]

        public init(name: String, dimensions: [Int], type: TensorType, values: [Float]) {
            self.name = name
            self.dimensions = dimensions
            self.type = type
            self.values = values
        }
    }

    public var metadata: [(key: String, value: GGUFValue)] = []
    public var tensors: [Tensor] = []
    public var alignment = GGUFFormat.defaultAlignment

    public init() {}

    public mutating func set(_ key: String, _ value: GGUFValue) {
        if let index = metadata.firstIndex(where: { $0.key == key }) { metadata[index].value = value } else { metadata.append((key, value)) }
    }

    /// The file's bytes.
    public func encoded() throws(GGUFError) -> Data {
        var header = Data()
        header.append(GGUFFormat.magic)
        header.append(UInt32(3))
        header.append(UInt64(tensors.count))
        var metadata = metadata
        if alignment != GGUFFormat.defaultAlignment && !metadata.contains(where: { $0.key == "general.alignment" }) {
            metadata.append(("general.alignment", .uint32(UInt32(alignment))))
        }
        header.append(UInt64(metadata.count))
        for (key, value) in metadata {
            header.appendString(key)
            header.append(value.type.rawValue)
            header.appendValue(value)
        }
        var payloads: [Data] = []
        var offset = 0
        for tensor in tensors {
            guard tensor.values.count == tensor.dimensions.reduce(1, *) else {
                throw GGUFError("tensor \(tensor.name) has \(tensor.values.count) values for dimensions \(tensor.dimensions)")
            }
            let payload: Data
            switch tensor.type {
            case .f32: payload = tensor.values.withUnsafeBytes { Data($0) }
            case .f16: payload = tensor.values.map { Float16($0).bitPattern }.withUnsafeBytes { Data($0) }
            case .q8_0:
                guard tensor.values.count % Q8_0.blockValues == 0 else {
                    throw GGUFError("tensor \(tensor.name) has \(tensor.values.count) values; Q8_0 needs a multiple of \(Q8_0.blockValues)")
                }
                payload = Data(Q8_0.quantize(tensor.values))
            default:
                throw GGUFError("tensor \(tensor.name): the writer writes F32, F16 and Q8_0, not \(tensor.type)")
            }
            header.appendString(tensor.name)
            header.append(UInt32(tensor.dimensions.count))
            for dimension in tensor.dimensions { header.append(UInt64(dimension)) }
            header.append(tensor.type.rawValue)
            header.append(UInt64(offset))
            payloads.append(payload)
            offset += (payload.count + alignment - 1) / alignment * alignment
        }
        var file = header
        file.append(Data(count: (alignment - file.count % alignment) % alignment))
        for payload in payloads {
            file.append(payload)
            file.append(Data(count: (alignment - payload.count % alignment) % alignment))
        }
        return file
    }

    public func write(to path: String) throws {
        try encoded().write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

private extension Data {
    mutating func append<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    mutating func appendString(_ text: String) {
        let bytes = Array(text.utf8)
        append(UInt64(bytes.count))
        append(contentsOf: bytes)
    }

    mutating func appendValue(_ value: GGUFValue) {
        switch value {
        case .uint8(let number): append(number)
        case .int8(let number): append(number)
        case .uint16(let number): append(number)
        case .int16(let number): append(number)
        case .uint32(let number): append(number)
        case .int32(let number): append(number)
        case .float32(let number): append(number.bitPattern)
        case .bool(let flag): append(UInt8(flag ? 1 : 0))
        case .string(let text): appendString(text)
        case .uint64(let number): append(number)
        case .int64(let number): append(number)
        case .float64(let number): append(number.bitPattern)
        case .array(let type, let elements):
            append(type.rawValue)
            append(UInt64(elements.count))
            for element in elements { appendValue(element) }
        }
    }
}
