/// A place in the template source: 1-based line and column (columns count Unicode scalars).
struct SourceLocation: Sendable, Hashable {
    let line: Int
    let column: Int
}
