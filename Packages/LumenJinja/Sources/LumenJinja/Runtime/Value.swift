/// A value while a template runs. Unlike `TemplateValue` (what callers pass in) it also has
/// Jinja's undefined, tuples, namespaces and callables. It lives only inside one render.
enum Value {
    /// A missing variable, attribute or item. Falsy, renders as "", iterates as empty; most
    /// other uses fail with `reason`, as Jinja's default `Undefined` does.
    case undefined(reason: String)
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([Value])
    case tuple([Value])
    case dict(ValueDictionary)
    case namespace(Namespace)
    case callable(Callable)
    /// What Python gives as a lazy iterator or a dict view: the results of `select`, `map`,
    /// `unique`, `items` and `reverse` (generators), and of `dict.items()/keys()/values()`.
    case iterator(IteratorValue)

    static func undefinedName(_ name: String) -> Value {
        .undefined(reason: "'\(name)' is undefined")
    }

    var isUndefined: Bool {
        if case .undefined = self { return true }
        return false
    }

    var isNone: Bool {
        if case .none = self { return true }
        return false
    }

    /// Python truthiness.
    var isTruthy: Bool {
        switch self {
        case .undefined, .none: false
        case .bool(let value): value
        case .int(let value): value != 0
        case .double(let value): value != 0
        case .string(let value): !value.isEmpty
        case .list(let items), .tuple(let items): !items.isEmpty
        case .dict(let dictionary): !dictionary.isEmpty
        case .namespace, .callable: true
        // A generator is always true, even with nothing in it, as in Python.
        case .iterator(let iterator): iterator.kind.isView ? !(iterator.items ?? []).isEmpty : true
        }
    }

    /// Items of a list or tuple.
    var sequenceItems: [Value]? {
        switch self {
        case .list(let items), .tuple(let items): items
        default: nil
        }
    }

    var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// Python's type name, for error messages.
    var typeName: String {
        switch self {
        case .undefined: "Undefined"
        case .none: "NoneType"
        case .bool: "bool"
        case .int: "int"
        case .double: "float"
        case .string: "str"
        case .list: "list"
        case .tuple: "tuple"
        case .dict: "dict"
        case .namespace: "Namespace"
        case .callable: "function"
        case .iterator(let iterator): iterator.kind.typeName
        }
    }

    /// The error a use of an undefined value raises, or nil for other values.
    var undefinedError: TemplateError? {
        if case .undefined(let reason) = self { return .runtime(reason) }
        return nil
    }

    /// Throws when the value is undefined.
    func requireDefined() throws(TemplateError) {
        if let error = undefinedError { throw error }
    }
}
