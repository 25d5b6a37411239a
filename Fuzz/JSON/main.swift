// libFuzzer target for the JSON parser (`JSONValue(utf8:)`, `JSONValue(json:)`). Besides not
// crashing, it checks that both entry points agree, that a document accepted under tight limits is
// accepted the same under the defaults, and that serialising a parsed value (pretty and compact)
// parses back to an equal value.
import LumenAPI

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let parsed: JSONValue?
    do { parsed = try JSONValue(utf8: bytes) } catch { parsed = nil }

    // The String entry point sees the same bytes when they are UTF-8.
    if let text = String(validating: bytes, as: UTF8.self) {
        let viaString = try? JSONValue(json: text)
        guard viaString == parsed else {
            fatalError("JSONValue(json:) and JSONValue(utf8:) disagree: \(String(describing: viaString)) vs \(String(describing: parsed))")
        }
    }

    let tight = JSONValue.ParseLimits(maxDepth: 3, maxValues: 20, maxStringBytes: 12, maxNumberLength: 8)
    if let small = try? JSONValue(utf8: bytes, limits: tight), small != parsed {
        fatalError("accepted under tight limits as \(small) but under the defaults as \(String(describing: parsed))")
    }

    guard let value = parsed else { return 0 }
    for pretty in [true, false] {
        let printed = value.json(pretty: pretty)
        do {
            let again = try JSONValue(json: printed)
            guard again == value else { fatalError("round trip (pretty: \(pretty)) changed \(value) into \(again) via \(printed)") }
        } catch {
            fatalError("the serialisation (pretty: \(pretty)) of an accepted document is refused: \(error)\n\(printed)")
        }
    }
    return 0
}
