public import AsyncHTTPClient
public import LumenAPI
import NIOCore
public import NIOHTTP1

extension Upstream {
    /// A request to `url` carrying this upstream's credentials and headers, and `body` as JSON.
    public func request(_ url: String, method: HTTPMethod, body: JSONValue? = nil) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let authorization { request.headers.add(name: "authorization", value: authorization) }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body.json(pretty: false)))
        }
        return request
    }
}
