public import HTTPTypes
public import Hummingbird
import LumenAPI
public import NIOCore

/// A stream's body writer that holds back `data: [DONE]` until the stream is finished, so that a
/// client sees the end of its answer only after the request's ledger row is durable.
struct LedgerHeldWriter: ResponseBodyWriter {
    private static let done = SSE.event(SSE.done)
    private var base: any ResponseBodyWriter
    private var heldDone = false

    init(_ base: any ResponseBodyWriter) {
        self.base = base
    }

    mutating func write(_ buffer: ByteBuffer) async throws {
        if buffer == Self.done {
            heldDone = true
            return
        }
        try await base.write(buffer)
    }

    /// Sends the held `[DONE]`, if any, and ends the body: call it once the ledger row is durable.
    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        if heldDone { try await base.write(Self.done) }
        try await base.finish(trailingHeaders)
    }
}
