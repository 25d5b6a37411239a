/// Finds filters and tests that do not exist, when Jinja's compiler would: at compile time,
/// except inside an `if` statement or an inline `a if b else c` (Jinja's "soft" frames),
/// where they fail only if they run. Loops, macros and other blocks start a frame that is
/// not soft again.
enum NameValidator {
    static func check(_ statements: [Statement]) throws(TemplateError) {
        for statement in statements {
            try check(statement, soft: false)
        }
    }

    private static func check(_ statements: [Statement], soft: Bool) throws(TemplateError) {
        for statement in statements {
            try check(statement, soft: soft)
        }
    }

    private static func check(_ statement: Statement, soft: Bool) throws(TemplateError) {
        switch statement.kind {
        case .text, .breakLoop, .continueLoop:
            break
        case .output(let expression), .assign(_, let expression):
            try check(expression, soft: soft)
        case .conditional(let branches, let otherwise):
            for branch in branches {
                try check(branch.condition, soft: true)
                try check(branch.body, soft: true)
            }
            try check(otherwise, soft: true)
        case .forLoop(let loop):
            try check(loop.iterable, soft: soft)
            if let filter = loop.filter { try check(filter, soft: false) }
            try check(loop.body, soft: false)
            try check(loop.otherwise, soft: false)
        case .assignBlock(_, let filters, let body), .filterBlock(let filters, let body):
            for filter in filters { try checkFilter(filter, soft: false) }
            try check(body, soft: false)
        case .macro(let definition):
            try check(definition, soft: false)
        case .callBlock(let block):
            try check(block.call, soft: soft)
            try check(block.callerDefinition, soft: false)
        case .with(let assignments, let body):
            for (_, value) in assignments { try check(value, soft: soft) }
            try check(body, soft: false)
        case .block(let body):
            try check(body, soft: false)
        }
    }

    private static func check(_ definition: MacroDefinition, soft: Bool) throws(TemplateError) {
        for parameter in definition.parameters {
            if let value = parameter.defaultValue { try check(value, soft: soft) }
        }
        try check(definition.body, soft: soft)
    }

    private static func checkFilter(_ filter: FilterCall, soft: Bool) throws(TemplateError) {
        if !soft && !Filters.names.contains(filter.name) {
            throw .syntax("no filter named '\(filter.name)'", at: filter.location)
        }
        for argument in filter.arguments { try check(argument.value, soft: soft) }
    }

    private static func check(_ expression: Expression, soft: Bool) throws(TemplateError) {
        switch expression.kind {
        case .constant, .name:
            break
        case .list(let items), .tuple(let items), .concat(let items):
            for item in items { try check(item, soft: soft) }
        case .dict(let entries):
            for entry in entries {
                try check(entry.key, soft: soft)
                try check(entry.value, soft: soft)
            }
        case .attribute(let base, _), .negate(let base), .plus(let base), .not(let base):
            try check(base, soft: soft)
        case .item(let base, let index):
            try check(base, soft: soft)
            try check(index, soft: soft)
        case .slice(let base, let start, let stop, let step):
            try check(base, soft: soft)
            for part in [start, stop, step] {
                if let part { try check(part, soft: soft) }
            }
        case .call(let callee, let arguments):
            try check(callee, soft: soft)
            for argument in arguments { try check(argument.value, soft: soft) }
        case .filter(let base, let filter):
            try check(base, soft: soft)
            try checkFilter(filter, soft: soft)
        case .test(let base, let test):
            try check(base, soft: soft)
            if !soft && !Tests.names.contains(test.name) {
                throw .syntax("no test named '\(test.name)'", at: test.location)
            }
            for argument in test.arguments { try check(argument.value, soft: soft) }
        case .binary(_, let left, let right), .and(let left, let right), .or(let left, let right):
            try check(left, soft: soft)
            try check(right, soft: soft)
        case .compare(let first, let comparisons):
            try check(first, soft: soft)
            for comparison in comparisons { try check(comparison.operand, soft: soft) }
        case .conditional(let condition, let then, let otherwise):
            try check(condition, soft: true)
            try check(then, soft: true)
            if let otherwise { try check(otherwise, soft: true) }
        }
    }
}
