/// The global functions: Jinja's `range`, `namespace` and `dict`, and transformers'
/// `raise_exception` and `strftime_now`.
enum Globals {
    /// The sandbox's cap on `range`, so `range(10**9)` fails at once as it does in transformers.
    static let maxRange = 100_000

    static func call(_ function: GlobalFunction, _ arguments: Arguments, evaluator: Evaluator) throws(TemplateError)
        -> Value
    {
        switch function {
        case .range:
            return try range(arguments, evaluator: evaluator)
        case .namespace:
            let attributes = try dictionary(from: arguments, function: "namespace")
            for key in attributes.keys {
                try checkNamespaceName(key)
            }
            let namespace = Namespace(attributes: attributes)
            evaluator.track(namespace)
            let value = Value.namespace(namespace)
            try value.checkNesting()
            return value
        case .dict:
            let value = Value.dict(try dictionary(from: arguments, function: "dict"))
            try value.checkNesting()
            return value
        case .raiseException:
            let bound = try arguments.bind("raise_exception", ["message"])
            throw .raised(bound[0]?.pythonString ?? "", at: nil)
        case .strftimeNow:
            let bound = try arguments.bind("strftime_now", ["format"])
            guard case .string(let format) = bound[0] else {
                throw .runtime("strftime_now() needs a format string")
            }
            return .string(Strftime.format(format, date: evaluator.now, timeZone: evaluator.timeZone))
        }
    }

    /// transformers' namespaces refuse names starting with "_" (a guard against reaching
    /// Python internals); the same names are refused here so templates behave alike.
    static func checkNamespaceName(_ name: String) throws(TemplateError) {
        if name.hasPrefix("_") {
            throw .runtime(
                "Chat templates cannot store underscore-prefixed attributes on a namespace, but got '\(name)'. "
                    + "Please rename the attribute.")
        }
    }

    private static func range(_ arguments: Arguments, evaluator: Evaluator) throws(TemplateError) -> Value {
        guard arguments.keywords.isEmpty else { throw .runtime("range() takes no keyword arguments") }
        var bounds: [Int] = []
        for value in arguments.positional {
            guard let integer = value.integerValue else {
                try value.requireDefined()
                throw .runtime("'\(value.typeName)' object cannot be interpreted as an integer")
            }
            bounds.append(integer)
        }
        let start: Int
        let stop: Int
        var step = 1
        switch bounds.count {
        case 1:
            start = 0
            stop = bounds[0]
        case 2:
            start = bounds[0]
            stop = bounds[1]
        case 3:
            start = bounds[0]
            stop = bounds[1]
            step = bounds[2]
        default:
            throw .runtime("range expected at most 3 arguments, got \(bounds.count)")
        }
        guard step != 0 else { throw .runtime("range() arg 3 must not be zero") }
        let difference = stop.subtractingReportingOverflow(start)
        if difference.overflow {
            throw .limit("Range too big. The sandbox blocks ranges larger than MAX_RANGE (\(maxRange)).")
        }
        let distance = difference.partialValue
        // Ceiling division in the direction of the step; an opposite sign means no items.
        let count = (distance > 0) == (step > 0) && distance != 0
            ? (distance.magnitude + step.magnitude - 1) / step.magnitude : 0
        if count > UInt(maxRange) {
            throw .limit("Range too big. The sandbox blocks ranges larger than MAX_RANGE (\(maxRange)).")
        }
        let itemCount = Int(count)
        try evaluator.tick(itemCount)
        return .list((0..<itemCount).map { .int(start &+ $0 &* step) })
    }

    /// `dict(mapping_or_pairs, **kwargs)`, as Python builds it.
    private static func dictionary(from arguments: Arguments, function: String) throws(TemplateError)
        -> ValueDictionary
    {
        var result = ValueDictionary()
        guard arguments.positional.count <= 1 else {
            throw .runtime("\(function) expected at most 1 argument, got \(arguments.positional.count)")
        }
        if let source = arguments.positional.first {
            switch source {
            case .dict(let dictionary):
                result = dictionary
            case .namespace(let namespace):
                result = namespace.attributes
            case .list(let pairs), .tuple(let pairs):
                for pair in pairs {
                    guard let items = pair.sequenceItems, items.count == 2 else {
                        throw .runtime("\(function) update sequence elements must be pairs")
                    }
                    result[items[0].stringValue ?? items[0].pythonString] = items[1]
                }
            default:
                try source.requireDefined()
                throw .runtime("'\(source.typeName)' object is not iterable")
            }
        }
        for (name, value) in arguments.keywords {
            result[name] = value
        }
        return result
    }
}
