/// A bound on how deeply values nest. Printing, comparing and even releasing a value
/// recurse once per level, so a template that wraps a value in a list a million times would
/// overflow the stack; building such a value fails instead.
extension Value {
    static let maxNesting = 512

    /// Levels of containers in this value, counting at most up to `limit + 1`. Namespaces
    /// are entered once each, so cycles through them end.
    func nestingDepth(limit: Int = Value.maxNesting) -> Int {
        var visited: Set<ObjectIdentifier> = []
        return nestingDepth(limit: limit, visited: &visited)
    }

    private func nestingDepth(limit: Int, visited: inout Set<ObjectIdentifier>) -> Int {
        guard limit >= 0 else { return 1 }
        var deepest = 0
        func visit(_ children: some Sequence<Value>, _ visited: inout Set<ObjectIdentifier>) -> Int {
            for child in children {
                deepest = max(deepest, child.nestingDepth(limit: limit - 1, visited: &visited))
                if deepest > limit - 1 { break }
            }
            return deepest + 1
        }
        switch self {
        case .list(let items), .tuple(let items):
            return visit(items, &visited)
        case .dict(let dictionary):
            return visit(dictionary.values, &visited)
        case .namespace(let namespace):
            guard visited.insert(ObjectIdentifier(namespace)).inserted else { return 1 }
            return visit(namespace.attributes.values, &visited)
        case .iterator(let iterator):
            return visit(iterator.items ?? [], &visited)
        default:
            return 0
        }
    }

    /// Throws when the value nests deeper than `maxNesting`.
    func checkNesting() throws(TemplateError) {
        if nestingDepth() > Value.maxNesting {
            throw .limit("a value would nest more than \(Value.maxNesting) levels deep")
        }
    }
}
