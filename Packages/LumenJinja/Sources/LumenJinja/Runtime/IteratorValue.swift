/// A lazy sequence as Python has them. The items are computed at once (filters have no side
/// effects), but an error is kept and raised only when the items are used, as a Python
/// generator raises only when consumed.
struct IteratorValue {
    enum Kind {
        /// A generator, with the name of the function Python's repr shows.
        case generator(String)
        /// `reversed(list)`: its Python type name.
        case reverseIterator(String)
        case dictKeys, dictValues, dictItems

        var isView: Bool {
            switch self {
            case .generator, .reverseIterator: false
            default: true
            }
        }

        var typeName: String {
            switch self {
            case .generator: "generator"
            case .reverseIterator(let name): name
            case .dictKeys: "dict_keys"
            case .dictValues: "dict_values"
            case .dictItems: "dict_items"
            }
        }
    }

    let kind: Kind
    private let result: Result<[Value], TemplateError>

    init(_ kind: Kind, items: [Value]) {
        self.kind = kind
        result = .success(items)
    }

    /// A generator whose production failed: the error surfaces when it is iterated.
    init(_ kind: Kind, producing: () throws(TemplateError) -> [Value]) {
        self.kind = kind
        do throws(TemplateError) {
            result = .success(try producing())
        } catch {
            result = .failure(error)
        }
    }

    /// The items, or nil when producing them failed.
    var items: [Value]? {
        if case .success(let items) = result { return items }
        return nil
    }

    func consume() throws(TemplateError) -> [Value] {
        try result.get()
    }
}
