/// Bounds on one render, so a hostile or broken template cannot hang the engine, recurse
/// until the stack overflows, or fill memory.
public struct RenderLimits: Sendable, Equatable {
    /// Statements executed plus loop iterations plus items that filters walk.
    public var maxSteps: Int
    /// Nested macro calls.
    public var maxRecursionDepth: Int
    /// Size of the rendered prompt, and of any string built on the way, in UTF-8 bytes.
    public var maxOutputBytes: Int
    /// Items in any list built on the way (`[x] * n`, `range`, ...).
    public var maxCollectionCount: Int

    public init(
        maxSteps: Int = 1_000_000,
        maxRecursionDepth: Int = 64,
        maxOutputBytes: Int = 16 << 20,
        maxCollectionCount: Int = 1_000_000
    ) {
        self.maxSteps = maxSteps
        self.maxRecursionDepth = maxRecursionDepth
        self.maxOutputBytes = maxOutputBytes
        self.maxCollectionCount = maxCollectionCount
    }

    public static let `default` = RenderLimits()

    func checkStringSize(_ bytes: Int) throws(TemplateError) {
        if bytes > maxOutputBytes {
            throw .limit("a string would exceed \(maxOutputBytes) bytes, the output limit")
        }
    }

    func checkCollectionSize(_ count: Int) throws(TemplateError) {
        if count > maxCollectionCount {
            throw .limit("a list would exceed \(maxCollectionCount) items")
        }
    }
}
