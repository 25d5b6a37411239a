/// Jinja decides at compile time where each name lives (`jinja2/idtracking.py`), and one
/// consequence is visible in output: a name that a scope assigns unconditionally, without
/// reading it first, starts that scope undefined rather than falling back to the context.
/// `{% for m in xs %}{{ x }}{% endfor %}{% set x = 1 %}` prints nothing for `x` even when
/// the caller passed one. Scopes here are looked up at run time, so this pass finds those
/// names per scope (the top level, each loop body, each macro body) and the evaluator binds
/// them to undefined on entry.
///
/// A scope sees every name its enclosing scopes read or assign (Jinja aliases them), so a
/// name counts only if no enclosing scope mentions it. Assignments inside `if` branches do
/// not count (Jinja resolves those names from the context).
enum ScopeAnalyzer {
    static func annotate(_ body: [Statement]) -> Template {
        let (statements, undefined) = frame(body, bound: [], outer: [])
        return Template(body: statements, undefinedAtEntry: undefined)
    }

    private struct FrameState {
        var loaded: Set<String> = []
        var stored: Set<String>
        var undefined: [String] = []
        let outer: Set<String>
    }

    /// Annotates one scope: `bound` names exist on entry (loop targets, parameters);
    /// `outer` holds every name the enclosing scopes mention.
    private static func frame(_ body: [Statement], bound: Set<String>, outer: Set<String>)
        -> ([Statement], [String])
    {
        var state = FrameState(stored: bound, outer: outer)
        collect(body, conditional: false, &state)
        let visible = outer.union(state.loaded).union(state.stored)
        return (body.map { rebuild($0, visible: visible) }, state.undefined)
    }

    private static func collect(_ statements: [Statement], conditional: Bool, _ state: inout FrameState) {
        for statement in statements {
            switch statement.kind {
            case .text, .breakLoop, .continueLoop, .block:
                break
            case .output(let expression):
                load(expression, &state)
            case .conditional(let branches, let otherwise):
                for branch in branches {
                    load(branch.condition, &state)
                    collect(branch.body, conditional: true, &state)
                }
                collect(otherwise, conditional: true, &state)
            case .forLoop(let loop):
                load(loop.iterable, &state)
            case .assign(let target, let expression):
                load(expression, &state)
                store(target, conditional: conditional, &state)
            case .assignBlock(let target, let filters, _):
                for filter in filters { filter.arguments.forEach { load($0.value, &state) } }
                store(target, conditional: conditional, &state)
            case .macro(let definition):
                store(.name(definition.name), conditional: conditional, &state)
            case .callBlock(let block):
                load(block.call, &state)
            case .filterBlock(let filters, _):
                for filter in filters { filter.arguments.forEach { load($0.value, &state) } }
            case .with(let assignments, _):
                for (_, value) in assignments { load(value, &state) }
            }
        }
    }

    private static func store(_ target: AssignTarget, conditional: Bool, _ state: inout FrameState) {
        switch target {
        case .name(let name):
            if !conditional && !state.loaded.contains(name) && !state.stored.contains(name)
                && !state.outer.contains(name)
            {
                state.undefined.append(name)
            }
            state.stored.insert(name)
        case .tuple(let targets):
            for target in targets { store(target, conditional: conditional, &state) }
        case .namespaceAttribute(let namespace, _):
            state.loaded.insert(namespace)
        }
    }

    private static func load(_ expression: Expression, _ state: inout FrameState) {
        state.loaded.formUnion(names(in: expression))
    }

    private static func rebuild(_ statement: Statement, visible: Set<String>) -> Statement {
        let kind: StatementKind
        switch statement.kind {
        case .conditional(let branches, let otherwise):
            kind = .conditional(
                branches.map { ConditionalBranch(condition: $0.condition, body: $0.body.map { rebuild($0, visible: visible) }) },
                otherwise: otherwise.map { rebuild($0, visible: visible) })
        case .forLoop(let loop):
            let (body, undefined) = frame(loop.body, bound: names(in: loop.target).union(["loop"]), outer: visible)
            let (otherwise, _) = frame(loop.otherwise, bound: [], outer: visible)
            kind = .forLoop(ForLoop(target: loop.target, iterable: loop.iterable, filter: loop.filter, body: body,
                                    otherwise: otherwise, undefinedAtEntry: undefined))
        case .macro(let definition):
            kind = .macro(annotate(definition, visible: visible))
        case .callBlock(let block):
            kind = .callBlock(CallBlock(call: block.call, callerDefinition: annotate(block.callerDefinition, visible: visible)))
        case .assignBlock(let target, let filters, let body):
            kind = .assignBlock(target, filters: filters, body: frame(body, bound: [], outer: visible).0)
        case .filterBlock(let filters, let body):
            kind = .filterBlock(filters, body: frame(body, bound: [], outer: visible).0)
        case .with(let assignments, let body):
            let bound = assignments.reduce(into: Set<String>()) { $0.formUnion(names(in: $1.0)) }
            kind = .with(assignments, body: frame(body, bound: bound, outer: visible).0)
        case .block(let body):
            kind = .block(frame(body, bound: [], outer: visible).0)
        default:
            return statement
        }
        return Statement(kind: kind, location: statement.location)
    }

    private static func annotate(_ definition: MacroDefinition, visible: Set<String>) -> MacroDefinition {
        let (body, undefined) = frame(definition.body, bound: definition.boundNames, outer: visible)
        return MacroDefinition(annotating: definition, body: body, undefinedAtEntry: undefined)
    }

    private static func names(in target: AssignTarget) -> Set<String> {
        switch target {
        case .name(let name): [name]
        case .tuple(let targets): targets.reduce(into: []) { $0.formUnion(names(in: $1)) }
        case .namespaceAttribute: []
        }
    }

    /// Every variable an expression reads.
    static func names(in expression: Expression) -> Set<String> {
        var result: Set<String> = []
        func visit(_ expression: Expression) {
            switch expression.kind {
            case .constant: break
            case .name(let name): result.insert(name)
            case .list(let items), .tuple(let items), .concat(let items): items.forEach(visit)
            case .dict(let entries):
                for entry in entries {
                    visit(entry.key)
                    visit(entry.value)
                }
            case .attribute(let base, _), .negate(let base), .plus(let base), .not(let base): visit(base)
            case .item(let base, let index):
                visit(base)
                visit(index)
            case .slice(let base, let start, let stop, let step):
                visit(base)
                [start, stop, step].compactMap { $0 }.forEach(visit)
            case .call(let callee, let arguments):
                visit(callee)
                arguments.forEach { visit($0.value) }
            case .filter(let base, let filter):
                visit(base)
                filter.arguments.forEach { visit($0.value) }
            case .test(let base, let test):
                visit(base)
                test.arguments.forEach { visit($0.value) }
            case .binary(_, let left, let right), .and(let left, let right), .or(let left, let right):
                visit(left)
                visit(right)
            case .compare(let first, let comparisons):
                visit(first)
                comparisons.forEach { visit($0.operand) }
            case .conditional(let condition, let then, let otherwise):
                visit(condition)
                visit(then)
                if let otherwise { visit(otherwise) }
            }
        }
        visit(expression)
        return result
    }
}
