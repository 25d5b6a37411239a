import Foundation

/// Runs a parsed template once. Holds the scopes, the output being built and the counters
/// that bound the work; one per render, never shared.
final class Evaluator {
    /// What a statement asks of the loop around it.
    enum Flow {
        case normal, breakLoop, continueLoop
    }

    let limits: RenderLimits
    let now: Date
    let timeZone: TimeZone

    /// Innermost last. `[0]` holds the globals, `[1]` the context and top-level `set`s;
    /// each loop iteration, macro call and `with` block pushes its own.
    private(set) var scopes: [[String: Value]]
    /// An identity per scope, parallel to `scopes`, so a macro can tell whether the scopes
    /// it was defined in are still there.
    private var frameIDs: [Int] = [0, 1]
    private var nextFrameID = 2
    /// Output buffers: macros and `{% set %}` blocks capture into their own.
    private var outputs: [String] = [""]
    private var steps = 0
    /// Every namespace made in this render: cleared at the end, since namespaces are the one
    /// way to build a reference cycle, which would otherwise never be freed.
    private var namespaces: [Namespace] = []
    private var callDepth = 0
    /// Statements and expressions being evaluated inside one another, across macro calls:
    /// it bounds the stack the evaluator's recursion uses, whatever the template's shape.
    private var evaluationDepth = 0
    static let maxEvaluationDepth = 256

    init(context: [String: Value], limits: RenderLimits, now: Date, timeZone: TimeZone) {
        self.limits = limits
        self.now = now
        self.timeZone = timeZone
        var globals: [String: Value] = [:]
        for function in GlobalFunction.allCases {
            globals[function.rawValue] = .callable(.global(function))
        }
        scopes = [globals, context]
    }

    func track(_ namespace: Namespace) {
        namespaces.append(namespace)
    }

    func render(_ template: Template) throws(TemplateError) -> String {
        defer {
            for namespace in namespaces {
                namespace.attributes = ValueDictionary()
            }
        }
        for name in template.undefinedAtEntry {
            scopes[1][name] = .undefinedName(name)
        }
        _ = try execute(template.body)
        return outputs[0]
    }

    // MARK: - Scopes

    private func pushFrame(_ frame: [String: Value] = [:]) {
        scopes.append(frame)
        frameIDs.append(nextFrameID)
        nextFrameID += 1
    }

    private func popFrame() {
        scopes.removeLast()
        frameIDs.removeLast()
    }

    /// The current scopes, for a macro or call block defined here.
    private var closure: Closure {
        Closure(frameIDs: frameIDs, snapshot: scopes)
    }

    // MARK: - Bounds

    /// Counts work; stops a template that would run (nearly) forever.
    func tick(_ count: Int = 1) throws(TemplateError) {
        steps += count
        if steps > limits.maxSteps {
            throw .limit("the template ran more than \(limits.maxSteps) steps; it may loop without end")
        }
    }

    private func write(_ text: String) throws(TemplateError) {
        outputs[outputs.count - 1] += text
        if outputs[outputs.count - 1].utf8.count > limits.maxOutputBytes {
            throw .limit("the rendered output would exceed \(limits.maxOutputBytes) bytes")
        }
    }

    /// Runs `body` writing into a fresh buffer, and returns what it wrote.
    func capture(_ body: () throws(TemplateError) -> Void) throws(TemplateError) -> String {
        outputs.append("")
        defer { outputs.removeLast() }
        try body()
        return outputs[outputs.count - 1]
    }

    // MARK: - Names

    func lookup(_ name: String) -> Value {
        for scope in scopes.reversed() {
            if let value = scope[name] { return value }
        }
        return .undefinedName(name)
    }

    func assign(_ target: AssignTarget, _ value: Value) throws(TemplateError) {
        switch target {
        case .name(let name):
            scopes[scopes.count - 1][name] = value
        case .tuple(let targets):
            let items = try iterate(value)
            guard items.count == targets.count else {
                throw .runtime(items.count > targets.count
                    ? "too many values to unpack (expected \(targets.count))"
                    : "not enough values to unpack (expected \(targets.count), got \(items.count))")
            }
            for (target, item) in zip(targets, items) {
                try assign(target, item)
            }
        case .namespaceAttribute(let name, let attribute):
            guard case .namespace(let namespace) = lookup(name) else {
                throw .runtime("cannot assign attribute on non-namespace object")
            }
            try Globals.checkNamespaceName(attribute)
            // Checking the new value alone keeps this cheap; a namespace can still end up
            // deeper when a namespace inside it changes later, but by one such value at most.
            if value.nestingDepth() + 1 > Value.maxNesting {
                throw .limit("a value would nest more than \(Value.maxNesting) levels deep")
            }
            namespace.attributes[attribute] = value
        }
    }

    /// The items a `for` loop (or a filter) walks: list items, string characters, dict keys.
    func iterate(_ value: Value) throws(TemplateError) -> [Value] {
        switch value {
        case .undefined: return []
        case .list(let items), .tuple(let items): return items
        case .string(let text): return text.unicodeScalars.map { .string(String($0)) }
        case .dict(let dictionary): return dictionary.keys.map { .string($0) }
        case .iterator(let iterator): return try iterator.consume()
        default: throw .runtime("'\(value.typeName)' object is not iterable")
        }
    }

    // MARK: - Statements

    func execute(_ statements: [Statement]) throws(TemplateError) -> Flow {
        for statement in statements {
            let flow = try execute(statement)
            if flow != .normal { return flow }
        }
        return .normal
    }

    /// Enters one level of evaluation; pair with `leave()`.
    func enter() throws(TemplateError) {
        evaluationDepth += 1
        if evaluationDepth > Self.maxEvaluationDepth {
            evaluationDepth -= 1
            throw .limit("evaluation nested more than \(Self.maxEvaluationDepth) levels deep")
        }
    }

    func leave() {
        evaluationDepth -= 1
    }

    private func execute(_ statement: Statement) throws(TemplateError) -> Flow {
        try tick()
        try enter()
        defer { leave() }
        do throws(TemplateError) {
            return try run(statement)
        } catch {
            throw error.located(at: statement.location)
        }
    }

    private func run(_ statement: Statement) throws(TemplateError) -> Flow {
        switch statement.kind {
        case .text(let text):
            try write(text)
        case .output(let expression):
            try write(try evaluate(expression).pythonString)
        case .conditional(let branches, let otherwise):
            for branch in branches where try evaluate(branch.condition).isTruthy {
                return try execute(branch.body)
            }
            return try execute(otherwise)
        case .forLoop(let loop):
            return try runLoop(loop)
        case .assign(let target, let expression):
            try assign(target, try evaluate(expression))
        case .assignBlock(let target, let filters, let body):
            var value = Value.string(try capture { () throws(TemplateError) in _ = try execute(body) })
            for filter in filters {
                value = try applyFilter(filter, to: value)
            }
            try assign(target, value)
        case .macro(let definition):
            scopes[scopes.count - 1][definition.name] = .callable(.macro(definition, closure))
        case .callBlock(let block):
            guard case .call(let callee, let arguments) = block.call.kind else { return .normal }
            let function = try evaluate(callee)
            guard case .callable(.macro(let definition, let macroClosure)) = function else {
                throw .runtime("a call block needs a macro to call")
            }
            let caller = Value.callable(.caller(block.callerDefinition, closure))
            let result = try callMacro(definition, macroClosure, try evaluateArguments(arguments), caller: caller)
            try write(result.pythonString)
        case .filterBlock(let filters, let body):
            var value = Value.string(try capture { () throws(TemplateError) in _ = try execute(body) })
            for filter in filters {
                value = try applyFilter(filter, to: value)
            }
            try write(value.pythonString)
        case .with(let assignments, let body):
            let values = try assignments.map { assignment throws(TemplateError) in try evaluate(assignment.1) }
            pushFrame()
            defer { popFrame() }
            for (assignment, value) in zip(assignments, values) {
                try assign(assignment.0, value)
            }
            return try execute(body)
        case .breakLoop:
            return .breakLoop
        case .continueLoop:
            return .continueLoop
        case .block(let body):
            return try execute(body)
        }
        return .normal
    }

    private func runLoop(_ loop: ForLoop) throws(TemplateError) -> Flow {
        var items = try iterate(try evaluate(loop.iterable))
        if let filter = loop.filter {
            var kept: [Value] = []
            for item in items {
                try tick()
                pushFrame()
                defer { popFrame() }
                try assign(loop.target, item)
                if try evaluate(filter).isTruthy { kept.append(item) }
            }
            items = kept
        }
        if items.isEmpty {
            return try execute(loop.otherwise)
        }
        for (index, item) in items.enumerated() {
            try tick()
            var frame: [String: Value] = ["loop": .dict(loopVariable(index: index, items: items))]
            for name in loop.undefinedAtEntry {
                frame[name] = .undefinedName(name)
            }
            pushFrame(frame)
            defer { popFrame() }
            try assign(loop.target, item)
            if try execute(loop.body) == .breakLoop { break }
        }
        return .normal
    }

    /// Jinja's `loop`: index, first/last, length, neighbours, `cycle`.
    private func loopVariable(index: Int, items: [Value]) -> ValueDictionary {
        var loop = ValueDictionary()
        let count = items.count
        loop["index"] = .int(index + 1)
        loop["index0"] = .int(index)
        loop["revindex"] = .int(count - index)
        loop["revindex0"] = .int(count - index - 1)
        loop["first"] = .bool(index == 0)
        loop["last"] = .bool(index == count - 1)
        loop["length"] = .int(count)
        loop["depth"] = .int(1)
        loop["depth0"] = .int(0)
        if index > 0 { loop["previtem"] = items[index - 1] }
        if index + 1 < count { loop["nextitem"] = items[index + 1] }
        loop["cycle"] = .callable(.loopCycle(index: index))
        return loop
    }

    // MARK: - Macros

    /// Calls a macro, or (with no `caller`) the body of a call block.
    func callMacro(_ definition: MacroDefinition, _ closure: Closure, _ arguments: Arguments, caller: Value?)
        throws(TemplateError) -> Value
    {
        callDepth += 1
        defer { callDepth -= 1 }
        if callDepth > limits.maxRecursionDepth {
            throw .limit("macro calls nested deeper than \(limits.maxRecursionDepth); the recursion may not end")
        }
        try tick()
        let parameters = definition.parameters
        if arguments.positional.count > parameters.count && !definition.readsVarargs {
            throw .runtime("macro '\(definition.name)' takes not more than \(parameters.count) argument(s)")
        }
        var given = [Value?](repeating: nil, count: parameters.count)
        for (index, value) in arguments.positional.prefix(parameters.count).enumerated() {
            given[index] = value
        }
        var extraKeywords = ValueDictionary()
        var explicitCaller: Value?
        for (name, value) in arguments.keywords {
            if let index = parameters.firstIndex(where: { $0.name == name }) {
                if given[index] != nil {
                    throw .runtime("macro '\(definition.name)' got multiple values for argument '\(name)'")
                }
                given[index] = value
            } else if name == "caller" && definition.readsCaller {
                explicitCaller = value
            } else if definition.readsKwargs {
                extraKeywords[name] = value
            } else {
                throw .runtime("macro '\(definition.name)' takes no keyword argument '\(name)'")
            }
        }
        let saved = (scopes, frameIDs)
        // The scopes the macro was defined in: live while they exist, else as they were.
        if frameIDs.starts(with: closure.frameIDs) {
            scopes = Array(scopes.prefix(closure.frameIDs.count))
        } else {
            scopes = closure.snapshot
        }
        frameIDs = closure.frameIDs
        defer { (scopes, frameIDs) = saved }
        var frame: [String: Value] = [:]
        for name in definition.undefinedAtEntry {
            frame[name] = .undefinedName(name)
        }
        pushFrame(frame)
        for (index, parameter) in parameters.enumerated() {
            let value: Value
            if let argument = given[index] {
                value = argument
            } else if let defaultValue = parameter.defaultValue {
                value = try evaluate(defaultValue)
            } else {
                value = .undefined(reason: "parameter '\(parameter.name)' was not provided")
            }
            scopes[scopes.count - 1][parameter.name] = value
        }
        if definition.readsVarargs {
            scopes[scopes.count - 1]["varargs"] = .tuple(Array(arguments.positional.dropFirst(parameters.count)))
        }
        if definition.readsKwargs {
            scopes[scopes.count - 1]["kwargs"] = .dict(extraKeywords)
        }
        if definition.readsCaller {
            scopes[scopes.count - 1]["caller"] = caller ?? explicitCaller ?? .undefined(reason: "No caller defined")
        }
        let output = try capture { () throws(TemplateError) in _ = try execute(definition.body) }
        return .string(output)
    }
}
