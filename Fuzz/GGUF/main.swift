// libFuzzer target for the GGUF reader: bytes become a parsed file or a GGUFError, never a crash,
// and every tensor the header accepts (of a type the engine reads) can be read whole.
import LumenEngine

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGGUF(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard let file = try? GGUFFile(bytes: bytes, name: "fuzz.gguf") else { return 0 }
    _ = file["general.architecture"]?.stringValue
    _ = file["tokenizer.ggml.tokens"]?.arrayValue?.count
    for tensor in file.tensors where tensor.type.isSupported {
        guard file.tensor(tensor.name) == tensor else { fatalError("tensor \(tensor.name) is not found by its name") }
        // Either its values or an error (a count that is not whole blocks); reading must stay inside the file.
        if let values = try? file.floats(tensor.name), values.count != tensor.valueCount {
            fatalError("tensor \(tensor.name) gave \(values.count) values for \(tensor.valueCount)")
        }
    }
    return 0
}
