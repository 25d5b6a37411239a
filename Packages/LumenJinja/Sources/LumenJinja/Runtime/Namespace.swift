/// A namespace from `namespace(...)`: the one mutable object templates get, so a loop body
/// can carry state out (`{% set ns.found = true %}`).
final class Namespace {
    var attributes: ValueDictionary

    init(attributes: ValueDictionary) {
        self.attributes = attributes
    }
}
