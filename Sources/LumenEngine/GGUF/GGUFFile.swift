import Foundation

/// A GGUF file (v2 or v3), memory-mapped: its metadata, its tensors' names, shapes and types,
/// and their bytes read in place. The header is checked whole on opening, so a truncated or
/// corrupt file fails there with where and why, not later in the middle of a computation.
public final class GGUFFile: @unchecked Sendable {
    public struct TensorInfo: Sendable, Hashable {
        public var name: String
        /// Dimensions, innermost first (ggml's order: `[columns, rows]` for a matrix).
        public var dimensions: [Int]
        public var type: TensorType
        /// Byte offset from the start of the data section.
        public var offset: Int

        public var valueCount: Int { dimensions.reduce(1, *) }
    }

    public let path: String
    public let version: UInt32
    /// Metadata in file order.
    public let metadata: [(key: String, value: GGUFValue)]
    public let tensors: [TensorInfo]
    public let alignment: Int
    /// Where tensor data begins in the file.
    public let dataOffset: Int
    private let mapping: MappedFile
    private let byName: [String: Int]

    public convenience init(path: String) throws(GGUFError) {
        try self.init(mapping: try MappedFile(path: path), path: path)
    }

    /// Reads a GGUF file from bytes already in memory (copied); `name` stands for the path in errors.
    public convenience init(bytes: some Collection<UInt8>, name: String = "<memory>") throws(GGUFError) {
        guard !bytes.isEmpty else { throw GGUFError("\(name) is empty; give a .gguf model file") }
        try self.init(mapping: MappedFile(copying: bytes), path: name)
    }

    private init(mapping: MappedFile, path: String) throws(GGUFError) {
        self.path = path
        self.mapping = mapping
        var reader = ByteReader(bytes: mapping.bytes, path: path)
        let magic = try reader.read(UInt32.self, "the magic number")
        guard magic == GGUFFormat.magic else {
            throw GGUFError("\(path) is not a GGUF file (it does not start with \"GGUF\"); give a .gguf model file")
        }
        version = try reader.read(UInt32.self, "the version")
        guard version == 2 || version == 3 else {
            throw GGUFError("\(path) is GGUF version \(version); lumen-engine reads versions 2 and 3")
        }
        let tensorCount = try reader.count("the tensor count", limit: 1 << 20)
        let metadataCount = try reader.count("the metadata count", limit: 1 << 20)
        var metadata: [(key: String, value: GGUFValue)] = []
        for _ in 0..<metadataCount {
            let key = try reader.string("a metadata key")
            let rawType = try reader.read(UInt32.self, "the type of \(key)")
            guard let type = GGUFValue.ValueType(rawValue: rawType) else {
                throw GGUFError("\(path): metadata \(key) has unknown value type \(rawType) at byte \(reader.offset - 4); the file is corrupt")
            }
            metadata.append((key, try reader.value(type, key: key)))
        }
        self.metadata = metadata
        alignment = metadata.first { $0.key == "general.alignment" }?.value.intValue ?? GGUFFormat.defaultAlignment
        guard alignment > 0, alignment.nonzeroBitCount == 1 else {
            throw GGUFError("\(path): general.alignment is \(alignment), not a power of two; the file is corrupt")
        }
        var tensors: [TensorInfo] = []
        for _ in 0..<tensorCount {
            let name = try reader.string("a tensor name")
            let rank = Int(try reader.read(UInt32.self, "the rank of \(name)"))
            guard (1...4).contains(rank) else {
                throw GGUFError("\(path): tensor \(name) has \(rank) dimensions at byte \(reader.offset - 4), not 1 to 4; the file is corrupt")
            }
            var dimensions: [Int] = []
            var values = 1
            for axis in 0..<rank {
                let dimension = try reader.count("dimension \(axis) of \(name)", limit: 1 << 40)
                dimensions.append(dimension)
                // Checked here, so `valueCount` (and the byte counts after it) cannot overflow later.
                let (product, overflow) = values.multipliedReportingOverflow(by: dimension)
                guard !overflow, product <= GGUFFormat.maxTensorValues else {
                    throw GGUFError("\(path): tensor \(name) has dimensions \(dimensions)..., more than \(GGUFFormat.maxTensorValues) values; the file is corrupt")
                }
                values = product
            }
            let type = TensorType(rawValue: try reader.read(UInt32.self, "the type of \(name)"))
            let offset = try reader.count("the offset of \(name)", limit: Int.max)
            guard offset % alignment == 0 else {
                throw GGUFError("\(path): tensor \(name) starts at \(offset), not a multiple of the alignment \(alignment); the file is corrupt")
            }
            tensors.append(TensorInfo(name: name, dimensions: dimensions, type: type, offset: offset))
        }
        self.tensors = tensors
        dataOffset = (reader.offset + alignment - 1) / alignment * alignment
        var byName: [String: Int] = [:]
        for (index, tensor) in tensors.enumerated() {
            guard byName.updateValue(index, forKey: tensor.name) == nil else {
                throw GGUFError("\(path): tensor \(tensor.name) appears twice; the file is corrupt")
            }
            // Each tensor a supported type can read must lie inside the file.
            if let bytes = tensor.type.byteCount(values: tensor.valueCount) {
                // A corrupt offset near Int.max must be refused, not overflow.
                let (start, startOverflow) = dataOffset.addingReportingOverflow(tensor.offset)
                let (end, endOverflow) = start.addingReportingOverflow(bytes)
                guard !startOverflow, !endOverflow, end <= mapping.bytes.count else {
                    let needed = startOverflow || endOverflow ? "more than \(Int.max)" : "\(end)"
                    throw GGUFError("\(path) is truncated: tensor \(tensor.name) needs bytes up to \(needed), "
                                    + "the file has \(mapping.bytes.count); download or write it again")
                }
            }
        }
        self.byName = byName
    }

    public subscript(key: String) -> GGUFValue? {
        metadata.first { $0.key == key }?.value
    }

    public func tensor(_ name: String) -> TensorInfo? {
        byName[name].map { tensors[$0] }
    }

    /// A Q8_0 tensor's blocks as they are stored: each block's scale (from half precision) and its 32 quants.
    func q8_0Blocks(_ name: String) throws(GGUFError) -> (scales: [Float], quants: [Int8]) {
        guard let info = tensor(name), info.type == .q8_0, let bytes = info.type.byteCount(values: info.valueCount) else {
            throw GGUFError("\(path): tensor \(name) is not Q8_0")
        }
        let raw = UnsafeRawBufferPointer(rebasing: mapping.bytes[(dataOffset + info.offset)..<(dataOffset + info.offset + bytes)])
        let blocks = info.valueCount / Q8_0.blockValues
        var scales = [Float](repeating: 0, count: blocks)
        var quants = [Int8](repeating: 0, count: info.valueCount)
        for block in 0..<blocks {
            let base = block * Q8_0.blockBytes
            scales[block] = Float(Float16(bitPattern: UInt16(raw[base]) | UInt16(raw[base + 1]) << 8))
            for index in 0..<Q8_0.blockValues { quants[block * Q8_0.blockValues + index] = Int8(bitPattern: raw[base + 2 + index]) }
        }
        return (scales, quants)
    }

    /// The tensor's values as Float (dequantised from F16 or Q8_0).
    public func floats(_ name: String) throws(GGUFError) -> [Float] {
        guard let info = tensor(name) else { throw GGUFError("\(path) has no tensor \(name); it is not a model of the expected architecture") }
        guard let bytes = info.type.byteCount(values: info.valueCount) else {
            throw GGUFError("\(path): tensor \(name) is \(info.type), which lumen-engine does not read (it reads "
                            + TensorType.supported.map(\.description).joined(separator: ", ") + "); convert the model to one of those")
        }
        let raw = UnsafeRawBufferPointer(rebasing: mapping.bytes[(dataOffset + info.offset)..<(dataOffset + info.offset + bytes)])
        return [Float](unsafeUninitializedCapacity: info.valueCount) { output, initialized in
            switch info.type {
            case .f32:
                for index in 0..<info.valueCount { output[index] = raw.loadUnaligned(fromByteOffset: index * 4, as: Float.self) }
            case .f16:
                for index in 0..<info.valueCount {
                    output[index] = Float(Float16(bitPattern: raw.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self)))
                }
            default:
                Q8_0.dequantize(raw, blocks: info.valueCount / Q8_0.blockValues, into: output)
            }
            initialized = info.valueCount
        }
    }
}

enum GGUFFormat {
    /// "GGUF" read as a little-endian UInt32.
    static let magic: UInt32 = 0x4655_4747
    static let defaultAlignment = 32
    /// Values in one tensor: far above any real model's (about 10^10), far below overflowing byte counts.
    static let maxTensorValues = 1 << 52
    /// Arrays of arrays nested deeper than this are refused (the reader recurses once per level).
    static let maxArrayDepth = 8
}

/// What is wrong with a GGUF file, and what to do about it.
public struct GGUFError: Error, CustomStringConvertible {
    public var description: String

    init(_ description: String) {
        self.description = description
    }
}

/// Bounds-checked little-endian reads over the mapped header.
private struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    let path: String
    var offset = 0

    mutating func read<T: FixedWidthInteger>(_ type: T.Type, _ what: String) throws(GGUFError) -> T {
        let size = MemoryLayout<T>.size
        guard offset + size <= bytes.count else {
            throw GGUFError("\(path) is truncated: it ends at byte \(bytes.count) while reading \(what); download or write it again")
        }
        defer { offset += size }
        return T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    /// A UInt64 count or size, refused beyond `limit` (a corrupt length would otherwise ask for terabytes).
    mutating func count(_ what: String, limit: Int) throws(GGUFError) -> Int {
        let value = try read(UInt64.self, what)
        guard value <= UInt64(limit) else {
            throw GGUFError("\(path): \(what) is \(value) at byte \(offset - 8), more than \(limit); the file is corrupt")
        }
        return Int(value)
    }

    mutating func string(_ what: String) throws(GGUFError) -> String {
        let length = try count("the length of \(what)", limit: 1 << 30)
        guard offset + length <= bytes.count else {
            throw GGUFError("\(path) is truncated: it ends at byte \(bytes.count) inside \(what); download or write it again")
        }
        defer { offset += length }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)]), as: UTF8.self)
    }

    mutating func value(_ type: GGUFValue.ValueType, key: String, depth: Int = 0) throws(GGUFError) -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try read(UInt8.self, key))
        case .int8: return .int8(try read(Int8.self, key))
        case .uint16: return .uint16(try read(UInt16.self, key))
        case .int16: return .int16(try read(Int16.self, key))
        case .uint32: return .uint32(try read(UInt32.self, key))
        case .int32: return .int32(try read(Int32.self, key))
        case .float32: return .float32(Float(bitPattern: try read(UInt32.self, key)))
        case .bool: return .bool(try read(UInt8.self, key) != 0)
        case .string: return .string(try string(key))
        case .uint64: return .uint64(try read(UInt64.self, key))
        case .int64: return .int64(try read(Int64.self, key))
        case .float64: return .float64(Double(bitPattern: try read(UInt64.self, key)))
        case .array:
            let rawType = try read(UInt32.self, "the element type of \(key)")
            guard let elementType = GGUFValue.ValueType(rawValue: rawType) else {
                throw GGUFError("\(path): metadata \(key) is an array of unknown type \(rawType); the file is corrupt")
            }
            guard elementType != .array || depth < GGUFFormat.maxArrayDepth else {
                throw GGUFError("\(path): metadata \(key) nests arrays more than \(GGUFFormat.maxArrayDepth) deep; the file is corrupt")
            }
            // Each element takes at least this many bytes of the file, which bounds the count before anything is reserved.
            let smallest = switch elementType {
            case .uint8, .int8, .bool: 1
            case .uint16, .int16: 2
            case .uint32, .int32, .float32: 4
            case .uint64, .int64, .float64, .string: 8
            case .array: 12
            }
            let count = try self.count("the length of \(key)", limit: (bytes.count - offset) / smallest)
            var elements: [GGUFValue] = []
            elements.reserveCapacity(count)
            for _ in 0..<count { elements.append(try value(elementType, key: key, depth: depth + 1)) }
            return .array(elementType, elements)
        }
    }
}

/// A file mapped read-only into memory, unmapped when released (or bytes copied into memory, freed then).
private final class MappedFile {
    let bytes: UnsafeRawBufferPointer
    private let mapped: Bool

    init(copying source: some Collection<UInt8>) {
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: source.count, alignment: 16)
        _ = copy.initializeMemory(as: UInt8.self, from: source)
        bytes = UnsafeRawBufferPointer(copy)
        mapped = false
    }

    init(path: String) throws(GGUFError) {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw GGUFError("cannot open \(path): \(String(cString: strerror(errno))); check the path") }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw GGUFError("cannot read \(path): \(String(cString: strerror(errno)))") }
        let size = Int(status.st_size)
        guard size > 0 else { throw GGUFError("\(path) is empty; give a .gguf model file") }
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), address != MAP_FAILED else {
            throw GGUFError("cannot map \(path) into memory: \(String(cString: strerror(errno)))")
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
        mapped = true
    }

    deinit {
        guard let base = bytes.baseAddress else { return }
        if mapped { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) } else { base.deallocate() }
    }
}
