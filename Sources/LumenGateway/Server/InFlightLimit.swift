import Hummingbird
import LumenAPI
import NIOCore
import Synchronization

/// Bounds the requests the public API serves at once, in all keys together: one more than
/// `limit` gets 503 with `retry-after` at once instead of queueing memory and upstream
/// connections. A request counts from its arrival until its response's last byte (a stream's
/// whole length). `/health` is never counted, so a full agent still says it is alive.
struct InFlightLimit<Context: RequestContext>: RouterMiddleware {
    let limit: Int
    let counter: InFlightCounter

    init(limit: Int, counter: InFlightCounter) {
        self.limit = limit
        self.counter = counter
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path.hasPrefix("/v1/") else { return try await next(request, context) }
        guard let permit = counter.take(limit: limit) else {
            let error = OpenAIError(status: 503, message: "the agent is serving its most requests at once (\(limit), --max-in-flight); retry after 1 s",
                                    type: "server_error", code: "server_overloaded", retryAfter: 1)
            var headers: HTTPFields = [.contentType: "application/json", .retryAfter: "1"]
            // The request's body is not read: the connection cannot carry another request.
            headers[.connection] = "close"
            return Response(status: .serviceUnavailable, headers: headers,
                            body: ResponseBody(byteBuffer: ByteBuffer(string: error.body.json(pretty: false))))
        }
        var response = try await next(request, context)
        let body = response.body
        // The permit goes when the body is written, or when the response is dropped unwritten.
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            defer { permit.release() }
            try await body.write(writer)
        }
        return response
    }
}

/// Requests in flight; a permit gives its place back once, when released or dropped.
final class InFlightCounter: Sendable {
    private let count = Atomic<Int>(0)

    var current: Int { count.load(ordering: .relaxed) }

    func take(limit: Int) -> Permit? {
        while true {
            let now = count.load(ordering: .relaxed)
            guard now < limit else { return nil }
            if count.compareExchange(expected: now, desired: now + 1, ordering: .acquiringAndReleasing).exchanged {
                return Permit(counter: self)
            }
        }
    }

    fileprivate func give() {
        count.subtract(1, ordering: .relaxed)
    }

    final class Permit: Sendable {
        private let counter: InFlightCounter
        private let released = Atomic<Bool>(false)

        fileprivate init(counter: InFlightCounter) {
            self.counter = counter
        }

        func release() {
            if !released.exchange(true, ordering: .acquiringAndReleasing) { counter.give() }
        }

        deinit { release() }
    }
}
