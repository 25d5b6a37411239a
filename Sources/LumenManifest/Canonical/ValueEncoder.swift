public import LumenAPI
/// Encodes an `Encodable` into a `ManifestValue`, keeping keys in the order the type encodes
/// them (declaration order for synthesized conformances), which makes the canonical form stable.
public struct ValueEncoder {
    public init() {}

    public func encode(_ value: some Encodable) throws -> ManifestValue {
        try Self.box(value, codingPath: [])
    }

    static func box(_ value: some Encodable, codingPath: [any CodingKey]) throws -> ManifestValue {
        if let scalar = value as? any CanonicalScalar { return scalar.canonicalValue }
        let encoder = TreeEncoder(codingPath: codingPath)
        try value.encode(to: encoder)
        return encoder.storage.value
    }
}

/// The mutable tree a `TreeEncoder` writes into; containers share it by reference.
private final class Slot {
    enum Content {
        case empty
        case scalar(ManifestValue)
        case map([(String, Slot)])
        case list([Slot])
    }

    var content: Content = .empty

    var value: ManifestValue {
        switch content {
        case .empty: .null
        case .scalar(let value): value
        case .map(let entries): .map(entries.map { ManifestValue.Entry($0.0, $0.1.value) })
        case .list(let items): .list(items.map(\.value))
        }
    }
}

private final class TreeEncoder: Encoder {
    let codingPath: [any CodingKey]
    let userInfo: [CodingUserInfoKey: Any] = [:]
    let storage = Slot()

    init(codingPath: [any CodingKey]) {
        self.codingPath = codingPath
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .map = storage.content {} else { storage.content = .map([]) }
        return KeyedEncodingContainer(KeyedSlotContainer<Key>(slot: storage, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .list = storage.content {} else { storage.content = .list([]) }
        return UnkeyedSlotContainer(slot: storage, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleSlotContainer(slot: storage, codingPath: codingPath)
    }
}

private func boxed(_ value: some Encodable, at codingPath: [any CodingKey]) throws -> Slot {
    let slot = Slot()
    slot.content = .scalar(try ValueEncoder.box(value, codingPath: codingPath))
    return slot
}

private func primitive(_ value: Any) -> ManifestValue? {
    switch value {
    case let flag as Bool: .bool(flag)
    case let text as String: .string(text)
    case let number as Int: .number(String(number))
    case let number as Int64: .number(String(number))
    case let number as Double: .number(number.isFinite ? formatDouble(number) : "null")
    default: nil
    }
}

func formatDouble(_ number: Double) -> String {
    if number == number.rounded(), abs(number) < 1e15 { return String(Int64(number)) }
    return String(number)
}

private struct KeyedSlotContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let slot: Slot
    let codingPath: [any CodingKey]

    private func set(_ key: Key, _ child: Slot) {
        guard case .map(var entries) = slot.content else { return }
        if let index = entries.firstIndex(where: { $0.0 == key.stringValue }) {
            entries[index].1 = child
        } else {
            entries.append((key.stringValue, child))
        }
        slot.content = .map(entries)
    }

    mutating func encodeNil(forKey key: Key) throws {
        let child = Slot()
        child.content = .scalar(.null)
        set(key, child)
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        if let simple = primitive(value) {
            let child = Slot()
            child.content = .scalar(simple)
            set(key, child)
        } else {
            set(key, try boxed(value, at: codingPath + [key]))
        }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        let child = Slot()
        child.content = .map([])
        set(key, child)
        return KeyedEncodingContainer(KeyedSlotContainer<NestedKey>(slot: child, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = Slot()
        child.content = .list([])
        set(key, child)
        return UnkeyedSlotContainer(slot: child, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder { TreeEncoder(codingPath: codingPath) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { TreeEncoder(codingPath: codingPath + [key]) }
}

private struct UnkeyedSlotContainer: UnkeyedEncodingContainer {
    let slot: Slot
    let codingPath: [any CodingKey]

    var count: Int {
        if case .list(let items) = slot.content { return items.count }
        return 0
    }

    private func append(_ child: Slot) {
        guard case .list(var items) = slot.content else { return }
        items.append(child)
        slot.content = .list(items)
    }

    mutating func encodeNil() throws {
        let child = Slot()
        child.content = .scalar(.null)
        append(child)
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        if let simple = primitive(value) {
            let child = Slot()
            child.content = .scalar(simple)
            append(child)
        } else {
            append(try boxed(value, at: codingPath))
        }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let child = Slot()
        child.content = .map([])
        append(child)
        return KeyedEncodingContainer(KeyedSlotContainer<NestedKey>(slot: child, codingPath: codingPath))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let child = Slot()
        child.content = .list([])
        append(child)
        return UnkeyedSlotContainer(slot: child, codingPath: codingPath)
    }

    mutating func superEncoder() -> any Encoder { TreeEncoder(codingPath: codingPath) }
}

private struct SingleSlotContainer: SingleValueEncodingContainer {
    let slot: Slot
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { slot.content = .scalar(.null) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        slot.content = .scalar(try primitive(value) ?? ValueEncoder.box(value, codingPath: codingPath))
    }
}
