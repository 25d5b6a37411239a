public import HummingbirdCore
public import Logging
public import NIOCore
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
    public static func streamingHTTP1(unsentBytes: Int = 16 * 1024) -> HTTPServerBuilder {
        .init { responder in
            BoundedUnsentHTTP1Channel(http1: HTTP1Channel(responder: responder), unsentBytes: unsentBytes)
        }
    }
}

struct BoundedUnsentHTTP1Channel: ServerChildChannel {
    let http1: HTTP1Channel
    let unsentBytes: Int

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTP1Channel.Value> {
        let option = ChannelOptions.Types.SocketOption(level: .tcp, name: NIOBSDSocket.Option(rawValue: CInt(TCP_NOTSENT_LOWAT)))
        // The same bound in user space: a response writer waits once this much is queued in NIO.
        let queued = ChannelOptions.Types.WriteBufferWaterMarkOption()
        return channel.setOption(option, value: unsentBytes)
            .flatMap { channel.setOption(queued, value: .init(low: unsentBytes / 2, high: unsentBytes)) }
            .flatMap { http1.setup(channel: channel, logger: logger) }
    }

    func handle(value: HTTP1Channel.Value, logger: Logger) async {
        await http1.handle(value: value, logger: logger)
    }
}
