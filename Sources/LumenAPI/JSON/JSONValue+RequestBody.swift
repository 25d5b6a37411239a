public import NIOCore

extension JSONValue {
    /// A request body as the API reads it: UTF-8 JSON, with 400s in OpenAI's shape otherwise.
    public static func requestBody(_ buffer: ByteBuffer) throws(OpenAIError) -> JSONValue {
        guard let text = String(validating: buffer.readableBytesView, as: UTF8.self) else {
            throw .invalidRequest("the request body is not valid UTF-8; send UTF-8 JSON")
        }
        do {
            return try JSONValue(json: text)
        } catch {
            throw .invalidRequest("the request body is not valid JSON (\(error)); send a JSON object")
        }
    }
}
