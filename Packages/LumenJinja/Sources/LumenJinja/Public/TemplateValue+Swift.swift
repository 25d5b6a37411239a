/// Building template values from Swift values.
extension TemplateValue {
    public init(_ value: Bool) { self = .bool(value) }
    public init(_ value: Int) { self = .int(value) }
    public init(_ value: Double) { self = .double(value) }
    public init(_ value: String) { self = .string(value) }
    public init(_ values: [TemplateValue]) { self = .array(values) }

    /// An object from a Swift dictionary, which has no order: keys are sorted so the result
    /// is at least reproducible. Use `TemplateObject` or a dictionary literal to keep an order.
    public init(_ values: [String: TemplateValue]) {
        self = .object(TemplateObject(values.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }))
    }
}
