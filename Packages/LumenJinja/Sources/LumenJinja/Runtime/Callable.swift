/// Something a template can call.
indirect enum Callable {
    case global(GlobalFunction)
    /// A method looked up on a value, e.g. `'a b'.split`.
    case method(receiver: Value, name: String)
    /// A macro and the scopes it was defined in (a macro defined in a loop sees the loop).
    case macro(MacroDefinition, Closure)
    /// The body of a `{% call %}` block, run with the scopes of its call site.
    case caller(MacroDefinition, Closure)
    /// `loop.cycle(...)` for the iteration with this index.
    case loopCycle(index: Int)

    var name: String {
        switch self {
        case .global(let function): function.rawValue
        case .method(_, let name): name
        case .macro(let definition, _): definition.name
        case .caller: "caller"
        case .loopCycle: "cycle"
        }
    }
}

/// The scopes a macro closes over: their identities, to use the live scopes while they
/// exist, and a copy for a call after they are gone.
struct Closure {
    let frameIDs: [Int]
    let snapshot: [[String: Value]]
}

/// The global functions: Jinja's own and those transformers adds.
enum GlobalFunction: String, CaseIterable {
    case range
    case namespace
    case dict
    case raiseException = "raise_exception"
    case strftimeNow = "strftime_now"
}
