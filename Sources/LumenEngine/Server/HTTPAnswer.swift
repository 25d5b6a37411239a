import Hummingbird
import LumenAPI
import NIOCore

/// JSON answers and OpenAI-shaped errors, shared by the engine's server and the simulator.
enum HTTPAnswer {
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: value.json(pretty: false))))
    }

    static func error(_ error: OpenAIError) -> Response {
        var response = json(error.body, status: HTTPResponse.Status(code: error.status))
        if let retryAfter = error.retryAfter { response.headers[.retryAfter] = String(retryAfter) }
        return response
    }
}
