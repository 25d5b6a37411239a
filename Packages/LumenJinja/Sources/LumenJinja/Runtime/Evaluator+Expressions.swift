/// Expression evaluation: names, attribute and item access, operators, calls.
extension Evaluator {
    func evaluate(_ expression: Expression) throws(TemplateError) -> Value {
        try enter()
        defer { leave() }
        do throws(TemplateError) {
            return try evaluateKind(expression.kind)
        } catch {
            throw error.located(at: expression.location)
        }
    }

    private func evaluateKind(_ kind: ExpressionKind) throws(TemplateError) -> Value {
        switch kind {
        case .constant(let constant):
            switch constant {
            case .none: return .none
            case .bool(let value): return .bool(value)
            case .int(let value): return .int(value)
            case .double(let value): return .double(value)
            case .string(let value): return .string(value)
            }
        case .name(let name):
            return lookup(name)
        case .list(let items):
            let value = Value.list(try items.map { item throws(TemplateError) in try evaluate(item) })
            try value.checkNesting()
            return value
        case .tuple(let items):
            let value = Value.tuple(try items.map { item throws(TemplateError) in try evaluate(item) })
            try value.checkNesting()
            return value
        case .dict(let entries):
            var dictionary = ValueDictionary()
            for entry in entries {
                let key = try evaluate(entry.key)
                try key.requireDefined()
                dictionary[key.stringValue ?? key.pythonString] = try evaluate(entry.value)
            }
            let value = Value.dict(dictionary)
            try value.checkNesting()
            return value
        case .attribute(let base, let name):
            return try attribute(of: try evaluate(base), name)
        case .item(let base, let index):
            return try item(of: try evaluate(base), try evaluate(index))
        case .slice(let base, let start, let stop, let step):
            return try slice(
                try evaluate(base), start: try start.map { e throws(TemplateError) in try evaluate(e) },
                stop: try stop.map { e throws(TemplateError) in try evaluate(e) },
                step: try step.map { e throws(TemplateError) in try evaluate(e) })
        case .call(let callee, let arguments):
            return try call(try evaluate(callee), try evaluateArguments(arguments))
        case .filter(let base, let filter):
            return try applyFilter(filter, to: try evaluate(base))
        case .test(let base, let test):
            let subject = try evaluate(base)
            let arguments = try evaluateArguments(test.arguments)
            do throws(TemplateError) {
                return .bool(try Tests.apply(test.name, to: subject, arguments, evaluator: self))
            } catch {
                throw error.located(at: test.location)
            }
        case .negate(let operand):
            return try Value.negate(try evaluate(operand))
        case .plus(let operand):
            return try Value.unaryPlus(try evaluate(operand))
        case .binary(let op, let left, let right):
            return try Value.binary(op, try evaluate(left), try evaluate(right), limits: limits)
        case .concat(let parts):
            var text = ""
            for part in parts {
                text += try evaluate(part).pythonString
                try limits.checkStringSize(text.utf8.count)
            }
            return .string(text)
        case .and(let left, let right):
            let first = try evaluate(left)
            return first.isTruthy ? try evaluate(right) : first
        case .or(let left, let right):
            let first = try evaluate(left)
            return first.isTruthy ? first : try evaluate(right)
        case .not(let operand):
            return .bool(!(try evaluate(operand).isTruthy))
        case .compare(let first, let comparisons):
            var left = try evaluate(first)
            for comparison in comparisons {
                let right = try evaluate(comparison.operand)
                guard try compare(left, comparison.op, right) else { return .bool(false) }
                left = right
            }
            return .bool(true)
        case .conditional(let condition, let then, let otherwise):
            if try evaluate(condition).isTruthy { return try evaluate(then) }
            guard let otherwise else {
                return .undefined(reason: "the inline if-expression evaluated to false and no else section was defined")
            }
            return try evaluate(otherwise)
        }
    }

    func evaluateArguments(_ arguments: [Argument]) throws(TemplateError) -> Arguments {
        var result = Arguments()
        for argument in arguments {
            let value = try evaluate(argument.value)
            if let name = argument.name {
                result.keywords.append((name, value))
            } else {
                result.positional.append(value)
            }
        }
        return result
    }

    func applyFilter(_ filter: FilterCall, to value: Value) throws(TemplateError) -> Value {
        let arguments = try evaluateArguments(filter.arguments)
        do throws(TemplateError) {
            return try Filters.apply(filter.name, to: value, arguments, evaluator: self)
        } catch {
            throw error.located(at: filter.location)
        }
    }

    private func compare(_ left: Value, _ op: ComparisonOperator, _ right: Value) throws(TemplateError) -> Bool {
        switch op {
        case .equal: return Value.equals(left, right)
        case .notEqual: return !Value.equals(left, right)
        case .less: return try Value.compareOrder(left, right, "<") < 0
        case .lessOrEqual: return try Value.compareOrder(left, right, "<=") <= 0
        case .greater: return try Value.compareOrder(left, right, ">") > 0
        case .greaterOrEqual: return try Value.compareOrder(left, right, ">=") >= 0
        case .contains: return try Value.contains(right, left)
        case .notContains: return !(try Value.contains(right, left))
        }
    }

    // MARK: - Access

    /// `value.name`: Python attributes (methods) first, then items, as Jinja's `getattr`.
    func attribute(of value: Value, _ name: String) throws(TemplateError) -> Value {
        switch value {
        case .undefined:
            try value.requireDefined()
            return value
        case .dict(let dictionary):
            if let method = Methods.lookup(on: value, name) { return method }
            return dictionary[name] ?? .undefined(reason: "'dict object' has no attribute '\(name)'")
        case .namespace(let namespace):
            return namespace.attributes[name] ?? .undefined(reason: "'Namespace object' has no attribute '\(name)'")
        default:
            return Methods.lookup(on: value, name)
                ?? .undefined(reason: "'\(value.typeName) object' has no attribute '\(name)'")
        }
    }

    /// `value[key]`: items first, then attributes, as Jinja's `getitem`.
    func item(of value: Value, _ key: Value) throws(TemplateError) -> Value {
        switch value {
        case .undefined:
            try value.requireDefined()
            return value
        case .dict(let dictionary):
            if case .string(let name) = key {
                if let found = dictionary[name] { return found }
                if let method = Methods.lookup(on: value, name) { return method }
            }
            return .undefined(reason: "'dict object' has no attribute '\(key.pythonString)'")
        case .list(let items), .tuple(let items):
            if let index = key.integerValue {
                let position = index < 0 ? index + items.count : index
                guard position >= 0 && position < items.count else {
                    return .undefined(reason: "'\(value.typeName) object' has no element \(index)")
                }
                return items[position]
            }
        case .string(let text):
            if let index = key.integerValue {
                let scalars = Array(text.unicodeScalars)
                let position = index < 0 ? index + scalars.count : index
                guard position >= 0 && position < scalars.count else {
                    return .undefined(reason: "'str object' has no element \(index)")
                }
                return .string(String(scalars[position]))
            }
        default:
            break
        }
        if case .string(let name) = key {
            return try attribute(of: value, name)
        }
        return .undefined(reason: "'\(value.typeName) object' has no element \(key.pythonRepr)")
    }

    /// Python slicing of lists, tuples and strings.
    func slice(_ value: Value, start: Value?, stop: Value?, step: Value?) throws(TemplateError) -> Value {
        try value.requireDefined()
        // Jinja compiles slices to plain Python subscripts, so unlike `x[i]` a failing slice
        // raises instead of giving an undefined value.
        switch value {
        case .list, .tuple, .string: break
        case .dict: throw .runtime("unhashable type: 'slice'")
        default: throw .runtime("'\(value.typeName)' object is not subscriptable")
        }
        func bound(_ value: Value?) throws(TemplateError) -> Int? {
            guard let value, !value.isNone else { return nil }
            guard let integer = value.integerValue else {
                throw .runtime("slice indices must be integers or None or have an __index__ method")
            }
            return integer
        }
        let bounds = (try bound(start), try bound(stop), try bound(step))
        let step = bounds.2 ?? 1
        guard step != 0 else { throw .runtime("slice step cannot be zero") }
        let start = bounds.0
        let stop = bounds.1
        func indices(_ count: Int) -> [Int] {
            func adjust(_ index: Int?, _ fallback: Int) -> Int {
                guard var index else { return fallback }
                if index < 0 {
                    index += count
                    if index < 0 { index = step < 0 ? -1 : 0 }
                } else if index >= count {
                    index = step < 0 ? count - 1 : count
                }
                return index
            }
            let first = adjust(start, step < 0 ? count - 1 : 0)
            let last = adjust(stop, step < 0 ? -1 : count)
            // Stepped by hand: `stride` would trap on a huge step overflowing the index.
            var result: [Int] = []
            var index = first
            while step > 0 ? index < last : index > last {
                result.append(index)
                let next = index.addingReportingOverflow(step)
                if next.overflow { break }
                index = next.partialValue
            }
            return result
        }
        switch value {
        case .list(let items): return .list(indices(items.count).map { items[$0] })
        case .tuple(let items): return .tuple(indices(items.count).map { items[$0] })
        case .string(let text):
            let scalars = Array(text.unicodeScalars)
            return .string(String(scalars: indices(scalars.count).map { scalars[$0] }))
        default:
            throw .runtime("'\(value.typeName)' object is not subscriptable")
        }
    }

    // MARK: - Calls

    func call(_ callee: Value, _ arguments: Arguments) throws(TemplateError) -> Value {
        guard case .callable(let callable) = callee else {
            try callee.requireDefined()
            throw .runtime("'\(callee.typeName)' object is not callable")
        }
        switch callable {
        case .global(let function):
            return try Globals.call(function, arguments, evaluator: self)
        case .method(let receiver, let name):
            return try Methods.call(receiver, name, arguments, evaluator: self)
        case .macro(let definition, let closure):
            return try callMacro(definition, closure, arguments, caller: nil)
        case .caller(let definition, let closure):
            return try callMacro(definition, closure, arguments, caller: nil)
        case .loopCycle(let index):
            guard !arguments.positional.isEmpty else { throw .runtime("no items for cycling given") }
            return arguments.positional[index % arguments.positional.count]
        }
    }
}
