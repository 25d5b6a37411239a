import HTTPTypes
public import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension HTTPServerBuilder {
    /// HTTP/1.1 for streaming servers: each connection keeps at most `unsentBytes` queued in the
    /// kernel beyond what the network is carrying (TCP_NOTSENT_LOWAT). Without it the kernel grows a
    /// slow reader's send buffer to megabytes, and a stream keeps reading its upstream long after its
    /// client stopped reading; with it, writes wait and the wait reaches the upstream.
    /// Every connection also gets `limits`' read deadlines and connection caps.
    public static func streamingHTTP1(unsentBytes: Int = 16 * 1024, limits: ListenerLimits = ListenerLimits()) -> HTTPServerBuilder {
        guarded(unsentBytes: unsentBytes, limits: limits)
    }

    /// HTTP/1.1 with `limits`' read deadlines and connection caps (for servers that do not stream).
    public static func guardedHTTP1(limits: ListenerLimits) -> HTTPServerBuilder {
        guarded(unsentBytes: nil, limits: limits)
    }

    private static func guarded(unsentBytes: Int?, limits: ListenerLimits) -> HTTPServerBuilder {
        let limiter = limits.maxConnections == nil && limits.maxConnectionsPerAddress == nil
            ? nil : ConnectionLimiter(maxConnections: limits.maxConnections, maxConnectionsPerAddress: limits.maxConnectionsPerAddress)
        return .init { responder in
            GuardedHTTP1Channel(responder: responder, unsentBytes: unsentBytes, limits: limits, limiter: limiter)
        }
    }
}

/// HTTP1Channel with a bounded send queue, read deadlines and connection caps.
struct GuardedHTTP1Channel: ServerChildChannel {
    let responder: HTTPChannelHandler.Responder
    let unsentBytes: Int?
    let limits: ListenerLimits
    let limiter: ConnectionLimiter?

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTP1Channel.Value> {
        // Over a cap: the connection is answered and closed before any of it is read.
        var refused: ConnectionLimiter.Refusal?
        if let limiter {
            let address = ConnectionLimiter.key(channel.remoteAddress)
            refused = limiter.admit(address)
            if refused == nil { channel.closeFuture.whenComplete { _ in limiter.release(address) } }
        }
        let refusal = refused
        // Runs on the channel's event loop (the child initializer does), so the pipeline is set up synchronously.
        do {
            if let unsentBytes, let options = channel.syncOptions {
                let option = ChannelOptions.Types.SocketOption(level: .tcp, name: NIOBSDSocket.Option(rawValue: CInt(TCP_NOTSENT_LOWAT)))
                try options.setOption(option, value: unsentBytes)
                // The same bound in user space: a response writer waits once this much is queued in NIO.
                try options.setOption(ChannelOptions.Types.WriteBufferWaterMarkOption(), value: .init(low: unsentBytes / 2, high: unsentBytes))
            }
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        let deadlines = RequestDeadlineHandler(limits: limits)
        let bound = NIOLoopBound(deadlines, eventLoop: channel.eventLoop)
        // The configuration's closure is called once, here, on this event loop.
        let http1 = HTTP1Channel(responder: responder, configuration: .init(additionalChannelHandlers: [bound.value]))
        return http1.setup(channel: channel, logger: logger).assumeIsolated().flatMapThrowing { value in
            // In front of the HTTP decoder: it sees a request's first bytes before its head is whole.
            try channel.pipeline.syncOperations.addHandler(RequestBytesWatcher(deadlines: deadlines), position: .first)
            try channel.pipeline.syncOperations.addHandler(StalledWriteCloser(timeout: limits.writeTimeout), position: .first)
            if let refusal {
                logger.debug("connection refused", metadata: ["remote": "\(channel.remoteAddress?.description ?? "-")", "cap": "\(refusal)"])
                try channel.pipeline.syncOperations.addHandler(ConnectionRefuser(refusal), position: .first)
            }
            return value
        }.nonisolated()
    }

    func handle(value: HTTP1Channel.Value, logger: Logger) async {
        await HTTP1Channel(responder: responder).handle(value: value, logger: logger)
    }
}

/// Closes a connection that is too slow to send its request, or idle too long between requests.
/// A request's head must arrive within the header timeout, its body within the body timeout;
/// while a response is being written nothing is timed, so a long stream is never cut.
final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    enum Wait: Equatable {
        case head, body, idle
    }

    private let limits: ListenerLimits
    /// A request's body is being read (between its head and its end).
    private var reading = false
    /// Requests whose response has not ended.
    private var unanswered = 0
    /// Bytes arrived since the last head: a new request has begun.
    private var requestBegun = false
    private var armed: Wait?
    private var timer: Scheduled<Void>?
    /// Bumped on every re-arm, so a timer that fires after being replaced does nothing.
    private var generation = 0
    private var context: ChannelHandlerContext?

    init(limits: ListenerLimits) {
        self.limits = limits
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { arm(.head) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        disarm()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        if armed == nil { arm(.head) }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            unanswered += 1
            reading = true
            requestBegun = false
            arm(.body)
        case .body:
            break
        case .end:
            reading = false
            settle()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            unanswered = max(0, unanswered - 1)
            settle()
        }
        context.write(data, promise: promise)
    }

    /// Called by `RequestBytesWatcher` for every read, before the HTTP decoder sees it.
    func bytesArrived() {
        guard !reading else { return }
        requestBegun = true
        if armed == .idle { arm(.head) }
    }

    /// What to wait for once a request's body or a response has ended.
    private func settle() {
        if reading { return }
        if unanswered > 0 {
            disarm()
        } else if armed != .head {
            arm(requestBegun ? .head : .idle)
        }
    }

    private func arm(_ wait: Wait) {
        guard let context else { return }
        disarm()
        armed = wait
        generation += 1
        let armedGeneration = generation
        let delay: Duration = switch wait {
        case .head: limits.headerTimeout
        case .body: limits.bodyTimeout
        case .idle: limits.idleTimeout
        }
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(delay)) { [self] in
            guard armedGeneration == generation, let context = self.context else { return }
            expired(wait, context: context)
        }
    }

    private func disarm() {
        timer?.cancel()
        timer = nil
        armed = nil
    }

    private func expired(_ wait: Wait, context: ChannelHandlerContext) {
        timer = nil
        armed = nil
        // Only a request whose head never came can still be answered: for a body, the server may
        // already be writing its response. A connection that sent nothing is closed without a word,
        // as a client's pool may hold it unused and would read an answer to no request.
        if wait == .head && unanswered == 0 && requestBegun {
            let seconds = limits.headerTimeout.components.seconds
            let error = OpenAIError(status: 408, message: "the request's head did not arrive within \(seconds) s; send the whole request at once",
                                    type: "invalid_request_error", code: "request_timeout")
            let body = ByteBuffer(string: error.body.json(pretty: false))
            let head = HTTPResponse(status: .requestTimeout, headerFields: [
                .contentType: "application/json", .contentLength: String(body.readableBytes), .connection: "close",
            ])
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(body)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        } else {
            context.close(promise: nil)
        }
    }
}

/// Tells the deadline handler when a request's bytes start to arrive; sits before the HTTP decoder.
final class RequestBytesWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let deadlines: RequestDeadlineHandler

    init(deadlines: RequestDeadlineHandler) {
        self.deadlines = deadlines
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        deadlines.bytesArrived()
        context.fireChannelRead(data)
    }
}

/// Answers a connection over a listener's cap with 503 and closes it, reading none of it.
final class ConnectionRefuser: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let refusal: ConnectionLimiter.Refusal
    private var answered = false

    init(_ refusal: ConnectionLimiter.Refusal) {
        self.refusal = refusal
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { answer(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        answer(context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    private func answer(_ context: ChannelHandlerContext) {
        guard !answered else { return }
        answered = true
        let message = switch refusal {
        case .total(let cap): "the server holds its most open connections (\(cap)); retry shortly, or reuse a kept-alive connection"
        case .perAddress(let cap): "this client address holds the most open connections one address may (\(cap)); close idle ones or reuse a kept-alive connection"
        }
        let error = OpenAIError(status: 503, message: message, type: "server_error", code: "too_many_connections", retryAfter: 1)
        let body = error.body.json(pretty: false)
        let text = "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\nconnection: close\r\n"
            + "content-length: \(body.utf8.count)\r\n\r\n" + body
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: text))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }
}

/// Closes a connection whose responses have made no progress for `timeout`: the channel stayed
/// unwritable (its client stopped reading) the whole time. Closing fails the pending write, so the
/// stream ends as a client that left and gives back everything it held.
final class StalledWriteCloser: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    private let timeout: TimeAmount
    private var timer: Scheduled<Void>?

    init(timeout: Duration) {
        let (seconds, attoseconds) = timeout.components
        self.timeout = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            timer?.cancel()
            timer = nil
        } else if timer == nil {
            let channel = context.channel
            timer = context.eventLoop.scheduleTask(in: timeout) {
                if !channel.isWritable { channel.close(promise: nil) }
            }
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }
}
