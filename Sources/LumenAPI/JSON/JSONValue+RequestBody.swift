public import NIOCore

extension JSONValue {
    /// Parses the readable bytes of `buffer` as one UTF-8 JSON document, without copying them.
    public init(buffer: ByteBuffer, limits: ParseLimits = ParseLimits()) throws(JSONSyntaxError) {
        let parsed = buffer.withUnsafeReadableBytes { raw in
            Result { () throws(JSONSyntaxError) in
                try JSONValue(utf8: UnsafeBufferPointer(start: raw.baseAddress?.assumingMemoryBound(to: UInt8.self), count: raw.count),
                              limits: limits)
            }
        }
        self = try parsed.get()
    }

    /// A request body as the API reads it: one strict JSON document within the parse limits, with
    /// 400s in OpenAI's shape otherwise.
    public static func requestBody(_ buffer: ByteBuffer, limits: ParseLimits = ParseLimits()) throws(OpenAIError) -> JSONValue {
        do {
            return try JSONValue(buffer: buffer, limits: limits)
        } catch {
            throw .invalidRequest("the request body is not valid JSON: \(error); send one JSON object in UTF-8", code: "invalid_json")
        }
    }
}
