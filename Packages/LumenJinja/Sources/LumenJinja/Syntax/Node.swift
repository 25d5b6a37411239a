/// The parsed template: statements and expressions, each with the place it came from so
/// runtime errors can name a line.

struct Expression: Sendable {
    let kind: ExpressionKind
    let location: SourceLocation
    /// Height of the tree below (1 for a leaf): evaluation recurses this deep, so the parser
    /// refuses trees that are too tall, even ones built by loops like `a + a + ... + a`.
    let depth: Int

    init(kind: ExpressionKind, location: SourceLocation) {
        self.kind = kind
        self.location = location
        depth = 1 + kind.children.reduce(0) { max($0, $1.depth) }
    }
}

extension ExpressionKind {
    /// The direct subexpressions.
    var children: [Expression] {
        switch self {
        case .constant, .name: []
        case .list(let items), .tuple(let items), .concat(let items): items
        case .dict(let entries): entries.flatMap { [$0.key, $0.value] }
        case .attribute(let base, _), .negate(let base), .plus(let base), .not(let base): [base]
        case .item(let base, let index): [base, index]
        case .slice(let base, let start, let stop, let step): [base] + [start, stop, step].compactMap { $0 }
        case .call(let callee, let arguments): [callee] + arguments.map(\.value)
        case .filter(let base, let filter): [base] + filter.arguments.map(\.value)
        case .test(let base, let test): [base] + test.arguments.map(\.value)
        case .binary(_, let left, let right), .and(let left, let right), .or(let left, let right): [left, right]
        case .compare(let first, let comparisons): [first] + comparisons.map(\.operand)
        case .conditional(let condition, let then, let otherwise): [condition, then] + [otherwise].compactMap { $0 }
        }
    }
}

indirect enum ExpressionKind: Sendable {
    case constant(Constant)
    case name(String)
    case list([Expression])
    case tuple([Expression])
    case dict([DictEntry])
    case attribute(Expression, name: String)
    case item(Expression, index: Expression)
    case slice(Expression, start: Expression?, stop: Expression?, step: Expression?)
    case call(Expression, arguments: [Argument])
    case filter(Expression, FilterCall)
    case test(Expression, TestCall)
    case negate(Expression)
    case plus(Expression)
    case binary(BinaryOperator, Expression, Expression)
    case concat([Expression])
    case and(Expression, Expression)
    case or(Expression, Expression)
    case not(Expression)
    /// Python-style chained comparison: `a < b < c`.
    case compare(Expression, [Comparison])
    /// `a if condition else b`; without `else` the value is undefined when the condition fails.
    case conditional(condition: Expression, then: Expression, otherwise: Expression?)
}

enum Constant: Sendable {
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
}

enum BinaryOperator: String, Sendable {
    case add = "+"
    case subtract = "-"
    case multiply = "*"
    case divide = "/"
    case floorDivide = "//"
    case modulo = "%"
    case power = "**"
}

enum ComparisonOperator: String, Sendable {
    case equal = "=="
    case notEqual = "!="
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="
    case contains = "in"
    case notContains = "not in"
}

struct Comparison: Sendable {
    let op: ComparisonOperator
    let operand: Expression
}

struct DictEntry: Sendable {
    let key: Expression
    let value: Expression
}

struct Argument: Sendable {
    /// Set for keyword arguments.
    let name: String?
    let value: Expression
}

struct FilterCall: Sendable {
    let name: String
    let arguments: [Argument]
    let location: SourceLocation
}

struct TestCall: Sendable {
    let name: String
    let arguments: [Argument]
    let location: SourceLocation
}

struct Statement: Sendable {
    let kind: StatementKind
    let location: SourceLocation
}

indirect enum StatementKind: Sendable {
    case text(String)
    case output(Expression)
    case conditional([ConditionalBranch], otherwise: [Statement])
    case forLoop(ForLoop)
    case assign(AssignTarget, Expression)
    /// `{% set x %}...{% endset %}`, optionally through filters.
    case assignBlock(AssignTarget, filters: [FilterCall], body: [Statement])
    case macro(MacroDefinition)
    case callBlock(CallBlock)
    case filterBlock([FilterCall], body: [Statement])
    case with([(AssignTarget, Expression)], body: [Statement])
    case breakLoop
    case continueLoop
    /// A body rendered as it is: `{% generation %}` (transformers' assistant-mask tag).
    case block([Statement])
}

struct ConditionalBranch: Sendable {
    let condition: Expression
    let body: [Statement]
}

struct ForLoop: Sendable {
    let target: AssignTarget
    let iterable: Expression
    let filter: Expression?
    let body: [Statement]
    let otherwise: [Statement]
    /// Names each iteration starts undefined (see `ScopeAnalyzer`).
    var undefinedAtEntry: [String] = []
}

indirect enum AssignTarget: Sendable {
    case name(String)
    case tuple([AssignTarget])
    /// `ns.attribute`: only namespaces accept it.
    case namespaceAttribute(String, attribute: String)
}

struct Parameter: Sendable {
    let name: String
    let defaultValue: Expression?
}

/// A macro, shared by reference between the template and the values that call it.
final class MacroDefinition: Sendable {
    let name: String
    let parameters: [Parameter]
    let body: [Statement]
    /// Jinja only accepts extra positional or keyword arguments, or a `caller`, when the
    /// body reads `varargs`, `kwargs` or `caller`.
    let readsVarargs: Bool
    let readsKwargs: Bool
    let readsCaller: Bool
    /// Names each call starts undefined (see `ScopeAnalyzer`).
    let undefinedAtEntry: [String]

    init(name: String, parameters: [Parameter], body: [Statement], names: Set<String>) {
        self.name = name
        self.parameters = parameters
        self.body = body
        readsVarargs = names.contains("varargs")
        readsKwargs = names.contains("kwargs")
        readsCaller = names.contains("caller")
        undefinedAtEntry = []
    }

    /// The same macro with its body and entry names replaced.
    init(annotating original: MacroDefinition, body: [Statement], undefinedAtEntry: [String]) {
        name = original.name
        parameters = original.parameters
        self.body = body
        readsVarargs = original.readsVarargs
        readsKwargs = original.readsKwargs
        readsCaller = original.readsCaller
        self.undefinedAtEntry = undefinedAtEntry
    }

    /// Names bound when the body starts: the parameters and Jinja's special names.
    var boundNames: Set<String> {
        Set(parameters.map(\.name)).union(["varargs", "kwargs", "caller"])
    }
}

/// A parsed template: its statements and the names its top level starts without.
struct Template: Sendable {
    let body: [Statement]
    let undefinedAtEntry: [String]
}

struct CallBlock: Sendable {
    /// The call expression: the macro and its arguments.
    let call: Expression
    /// The caller's own parameters: `{% call(user) m() %}`.
    let callerDefinition: MacroDefinition
}
