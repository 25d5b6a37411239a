import Foundation

/// Python's operators on template values. Integer arithmetic is checked: where Python would
/// grow a big integer we stop with an error instead of trapping.
extension Value {
    /// An int for `bool` and `int` (Python's bool is an int), else nil.
    var integerValue: Int? {
        switch self {
        case .int(let value): value
        case .bool(let value): value ? 1 : 0
        default: nil
        }
    }

    /// A double for numbers and bools, else nil.
    var numberValue: Double? {
        switch self {
        case .int(let value): Double(value)
        case .bool(let value): value ? 1 : 0
        case .double(let value): value
        default: nil
        }
    }

    var isNumber: Bool { numberValue != nil }

    private static func unsupported(_ op: String, _ left: Value, _ right: Value) -> TemplateError {
        .runtime("unsupported operand type(s) for \(op): '\(left.typeName)' and '\(right.typeName)'")
    }

    private static func overflow(_ op: String) -> TemplateError {
        .runtime("integer overflow in '\(op)': the result does not fit in 64 bits")
    }

    static func binary(_ op: BinaryOperator, _ left: Value, _ right: Value, limits: RenderLimits) throws(TemplateError)
        -> Value
    {
        try left.requireDefined()
        if case .string = left, op == .modulo {
            // str % Undefined formats it as '' (Python never asks the Undefined anything).
        } else {
            try right.requireDefined()
        }
        switch op {
        case .add: return try add(left, right, limits: limits)
        case .subtract: return try arithmetic("-", left, right, Int.subtractingReportingOverflow, -)
        case .multiply: return try multiply(left, right, limits: limits)
        case .divide:
            guard let a = left.numberValue, let b = right.numberValue else { throw unsupported("/", left, right) }
            guard b != 0 else { throw .runtime("division by zero") }
            return .double(a / b)
        case .floorDivide: return try floorDivide(left, right)
        case .modulo: return try modulo(left, right, limits: limits)
        case .power: return try power(left, right)
        }
    }

    private static func arithmetic(
        _ symbol: String, _ left: Value, _ right: Value,
        _ integer: (Int) -> (Int) -> (partialValue: Int, overflow: Bool),
        _ floating: (Double, Double) -> Double
    ) throws(TemplateError) -> Value {
        if let a = left.integerValue, let b = right.integerValue {
            let result = integer(a)(b)
            if result.overflow { throw overflow(symbol) }
            return .int(result.partialValue)
        }
        guard let a = left.numberValue, let b = right.numberValue else { throw unsupported(symbol, left, right) }
        return .double(floating(a, b))
    }

    private static func add(_ left: Value, _ right: Value, limits: RenderLimits) throws(TemplateError) -> Value {
        switch (left, right) {
        case (.string(let a), .string(let b)):
            try limits.checkStringSize(a.utf8.count + b.utf8.count)
            return .string(a + b)
        case (.list(let a), .list(let b)):
            try limits.checkCollectionSize(a.count + b.count)
            return .list(a + b)
        case (.tuple(let a), .tuple(let b)):
            try limits.checkCollectionSize(a.count + b.count)
            return .tuple(a + b)
        case (.string, _):
            throw .runtime("can only concatenate str (not \"\(right.typeName)\") to str")
        case (.list, _):
            throw .runtime("can only concatenate list (not \"\(right.typeName)\") to list")
        default:
            return try arithmetic("+", left, right, Int.addingReportingOverflow, +)
        }
    }

    private static func multiply(_ left: Value, _ right: Value, limits: RenderLimits) throws(TemplateError) -> Value {
        switch (left, right) {
        case (.string(let text), _) where right.integerValue != nil,
            (_, .string(let text)) where left.integerValue != nil:
            let times = max(right.integerValue ?? left.integerValue ?? 0, 0)
            let total = text.utf8.count.multipliedReportingOverflow(by: times)
            if total.overflow { throw overflow("*") }
            try limits.checkStringSize(total.partialValue)
            return .string(String(repeating: text, count: times))
        case (.list(let items), _) where right.integerValue != nil, (_, .list(let items)) where left.integerValue != nil:
            let times = max(right.integerValue ?? left.integerValue ?? 0, 0)
            return .list(try repeatedItems(items, times, limits: limits))
        case (.tuple(let items), _) where right.integerValue != nil, (_, .tuple(let items)) where left.integerValue != nil:
            let times = max(right.integerValue ?? left.integerValue ?? 0, 0)
            return .tuple(try repeatedItems(items, times, limits: limits))
        default:
            return try arithmetic("*", left, right, Int.multipliedReportingOverflow, *)
        }
    }

    private static func repeatedItems(_ items: [Value], _ times: Int, limits: RenderLimits) throws(TemplateError)
        -> [Value]
    {
        let total = items.count.multipliedReportingOverflow(by: times)
        if total.overflow { throw overflow("*") }
        try limits.checkCollectionSize(total.partialValue)
        return Array(repeatElement(items, count: times).joined())
    }

    private static func floorDivide(_ left: Value, _ right: Value) throws(TemplateError) -> Value {
        if let a = left.integerValue, let b = right.integerValue {
            guard b != 0 else { throw .runtime("integer division or modulo by zero") }
            if a == .min && b == -1 { throw overflow("//") }
            let quotient = a / b
            // Python floors toward negative infinity.
            return .int((a % b != 0) && ((a < 0) != (b < 0)) ? quotient - 1 : quotient)
        }
        guard let a = left.numberValue, let b = right.numberValue else { throw unsupported("//", left, right) }
        guard b != 0 else { throw .runtime("float floor division by zero") }
        return .double((a / b).rounded(.down))
    }

    private static func modulo(_ left: Value, _ right: Value, limits: RenderLimits) throws(TemplateError) -> Value {
        if case .string(let format) = left {
            return .string(try PrintfFormat.format(format, right, limits: limits))
        }
        if let a = left.integerValue, let b = right.integerValue {
            guard b != 0 else { throw .runtime("integer division or modulo by zero") }
            if b == -1 { return .int(0) }
            let remainder = a % b
            // Python's remainder takes the sign of the divisor.
            return .int(remainder != 0 && ((remainder < 0) != (b < 0)) ? remainder + b : remainder)
        }
        guard let a = left.numberValue, let b = right.numberValue else { throw unsupported("%", left, right) }
        guard b != 0 else { throw .runtime("float modulo") }
        var remainder = a.truncatingRemainder(dividingBy: b)
        if remainder != 0 && ((remainder < 0) != (b < 0)) { remainder += b }
        return .double(remainder)
    }

    private static func power(_ left: Value, _ right: Value) throws(TemplateError) -> Value {
        if let base = left.integerValue, let exponent = right.integerValue {
            if exponent < 0 {
                guard base != 0 else { throw .runtime("0.0 cannot be raised to a negative power") }
                return .double(pow(Double(base), Double(exponent)))
            }
            var result = 1
            var factor = base
            var remaining = exponent
            while remaining > 0 {
                if remaining & 1 == 1 {
                    let product = result.multipliedReportingOverflow(by: factor)
                    if product.overflow { throw overflow("**") }
                    result = product.partialValue
                }
                remaining >>= 1
                if remaining > 0 {
                    let square = factor.multipliedReportingOverflow(by: factor)
                    if square.overflow { throw overflow("**") }
                    factor = square.partialValue
                }
            }
            return .int(result)
        }
        guard let a = left.numberValue, let b = right.numberValue else { throw unsupported("** or pow()", left, right) }
        if a == 0 && b < 0 { throw .runtime("0.0 cannot be raised to a negative power") }
        if a < 0 && b != b.rounded() { throw .runtime("complex results are not supported") }
        return .double(pow(a, b))
    }

    static func negate(_ value: Value) throws(TemplateError) -> Value {
        try value.requireDefined()
        switch value {
        case .int(let number):
            guard number != .min else { throw overflow("-") }
            return .int(-number)
        case .bool(let flag): return .int(flag ? -1 : 0)
        case .double(let number): return .double(-number)
        default: throw .runtime("bad operand type for unary -: '\(value.typeName)'")
        }
    }

    static func unaryPlus(_ value: Value) throws(TemplateError) -> Value {
        try value.requireDefined()
        switch value {
        case .int, .double: return value
        case .bool(let flag): return .int(flag ? 1 : 0)
        default: throw .runtime("bad operand type for unary +: '\(value.typeName)'")
        }
    }

    // MARK: - Comparison

    /// Python's `==`: numbers compare across int, float and bool; dicts ignore key order;
    /// a list never equals a tuple.
    static func equals(_ left: Value, _ right: Value) -> Bool {
        switch (left, right) {
        case (.undefined, .undefined), (.none, .none): return true
        case (.string(let a), .string(let b)): return a.unicodeScalars.elementsEqual(b.unicodeScalars)
        case (.list(let a), .list(let b)), (.tuple(let a), .tuple(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { equals($0, $1) }
        case (.dict(let a), .dict(let b)):
            guard a.count == b.count else { return false }
            for (key, value) in a.entries {
                guard let other = b[key], equals(value, other) else { return false }
            }
            return true
        case (.namespace(let a), .namespace(let b)): return a === b
        default:
            if let a = left.integerValue, let b = right.integerValue { return a == b }
            if let a = left.numberValue, let b = right.numberValue { return a == b }
            return false
        }
    }

    /// Python's ordering: numbers with numbers, strings by code point, sequences item by item.
    static func compareOrder(_ left: Value, _ right: Value, _ symbol: String) throws(TemplateError) -> Int {
        try left.requireDefined()
        try right.requireDefined()
        if let a = left.integerValue, let b = right.integerValue {
            return a < b ? -1 : (a == b ? 0 : 1)
        }
        if let a = left.numberValue, let b = right.numberValue {
            return a < b ? -1 : (a == b ? 0 : 1)
        }
        switch (left, right) {
        case (.string(let a), .string(let b)):
            return compareScalars(a, b)
        case (.list(let a), .list(let b)), (.tuple(let a), .tuple(let b)):
            for (x, y) in zip(a, b) where !equals(x, y) {
                return try compareOrder(x, y, symbol)
            }
            return a.count < b.count ? -1 : (a.count == b.count ? 0 : 1)
        default:
            throw .runtime(
                "'\(symbol)' not supported between instances of '\(left.typeName)' and '\(right.typeName)'")
        }
    }

    static func compareScalars(_ a: String, _ b: String) -> Int {
        var left = a.unicodeScalars.makeIterator()
        var right = b.unicodeScalars.makeIterator()
        while true {
            switch (left.next(), right.next()) {
            case (nil, nil): return 0
            case (nil, _): return -1
            case (_, nil): return 1
            case (let x?, let y?):
                if x.value != y.value { return x.value < y.value ? -1 : 1 }
            }
        }
    }

    /// Python's `needle in container`.
    static func contains(_ container: Value, _ needle: Value) throws(TemplateError) -> Bool {
        switch container {
        case .undefined:
            return false
        case .string(let text):
            guard case .string(let part) = needle else {
                if case .undefined = needle { try needle.requireDefined() }
                throw .runtime("'in <string>' requires string as left operand, not \(needle.typeName)")
            }
            return part.isEmpty || text.unicodeScalars.containsSubsequence(part.unicodeScalars)
        case .list(let items), .tuple(let items):
            return items.contains { equals($0, needle) }
        case .iterator(let iterator):
            return try iterator.consume().contains { equals($0, needle) }
        case .dict(let dictionary):
            guard case .string(let key) = needle else {
                switch needle {
                case .list, .dict, .namespace, .iterator: throw .runtime("unhashable type: '\(needle.typeName)'")
                default: return false
                }
            }
            return dictionary[key] != nil
        case .namespace(let namespace):
            guard case .string(let key) = needle else { return false }
            return namespace.attributes[key] != nil
        default:
            throw .runtime("argument of type '\(container.typeName)' is not iterable")
        }
    }
}

extension String.UnicodeScalarView {
    /// Whether `part` occurs in order, contiguously.
    func containsSubsequence(_ part: String.UnicodeScalarView) -> Bool {
        firstRange(of: part) != nil
    }
}
