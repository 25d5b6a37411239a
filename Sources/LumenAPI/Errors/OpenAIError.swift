/// An error in OpenAI's shape: `{"error": {"message", "type", "param", "code"}}` with the HTTP
/// status the official SDKs map to their typed exceptions.
public struct OpenAIError: Error, Sendable, CustomStringConvertible {
    public var status: Int
    public var message: String
    public var type: String
    public var param: String?
    public var code: String?
    /// Seconds a client should wait before retrying (sent as `retry-after` with 429 and 503).
    public var retryAfter: Int?

    public init(status: Int, message: String, type: String, param: String? = nil, code: String? = nil, retryAfter: Int? = nil) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.retryAfter = retryAfter
    }

    public var description: String { "\(status) \(type): \(message)" }

    public var body: JSONValue {
        .map([.init("error", .map([
            .init("message", .string(message)),
            .init("type", .string(type)),
            .init("param", param.map(JSONValue.string) ?? .null),
            .init("code", code.map(JSONValue.string) ?? .null),
        ]))])
    }

    public static func invalidRequest(_ message: String, param: String? = nil, code: String? = nil) -> OpenAIError {
        OpenAIError(status: 400, message: message, type: "invalid_request_error", param: param, code: code)
    }

    public static func unauthorized(_ message: String) -> OpenAIError {
        OpenAIError(status: 401, message: message, type: "invalid_request_error", code: "invalid_api_key")
    }

    public static func forbidden(_ message: String) -> OpenAIError {
        OpenAIError(status: 403, message: message, type: "permission_error", code: "forbidden")
    }

    public static func notFound(_ message: String, param: String? = nil, code: String? = "model_not_found") -> OpenAIError {
        OpenAIError(status: 404, message: message, type: "invalid_request_error", param: param, code: code)
    }

    public static func tooLarge(limit: Int) -> OpenAIError {
        OpenAIError(status: 413, message: "the request body is larger than \(limit) bytes; send a smaller request",
                    type: "invalid_request_error", code: "request_too_large")
    }

    public static func rateLimited(_ message: String, retryAfter: Int, code: String = "rate_limit_exceeded") -> OpenAIError {
        OpenAIError(status: 429, message: message, type: "rate_limit_error", code: code, retryAfter: retryAfter)
    }

    public static func server(_ message: String, status: Int = 500) -> OpenAIError {
        OpenAIError(status: status, message: message, type: "server_error", code: "server_error")
    }
}
