/// Encodes an `Encodable` value as compact JSON text the way `JSONText` writes it: object keys in the
/// order the value encodes them (declaration order for synthesised conformances), whole numbers
/// without a fraction, other numbers rounded to 6 decimals, strings escaped by `JSONText.quote`, nil
/// optionals left out. Outputs are byte-for-byte stable, so manifests written through `Codable`
/// read back with `JSONDecoder` and hash the same on every run.
public enum JSONTextEncoder {
    /// The JSON text of `value`.
    public static func encode<T: Encodable>(_ value: T) throws -> String {
        let node = JSONNode()
        try value.encode(to: NodeEncoder(node: node, codingPath: []))
        return node.text
    }
}

/// A JSON value being built: a literal, an object (keys in insertion order) or an array.
private final class JSONNode {
    enum Kind {
        case literal(String)
        case object([(key: String, value: JSONNode)])
        case array([JSONNode])
    }
    var kind = Kind.literal("null")

    var text: String {
        switch kind {
        case .literal(let text): return text
        case .object(let members): return "{" + members.map { JSONText.quote($0.key) + ":" + $0.value.text }.joined(separator: ",") + "}"
        case .array(let items): return "[" + items.map(\.text).joined(separator: ",") + "]"
        }
    }

    /// The member for `key` (replacing one encoded before under the same key).
    func member(_ key: String) -> JSONNode {
        var members: [(key: String, value: JSONNode)] = []
        if case .object(let existing) = kind { members = existing }
        let child = JSONNode()
        if let at = members.firstIndex(where: { $0.key == key }) {
            members[at].value = child
        } else {
            members.append((key, child))
        }
        kind = .object(members)
        return child
    }

    func appendItem() -> JSONNode {
        var items: [JSONNode] = []
        if case .array(let existing) = kind { items = existing }
        let child = JSONNode()
        items.append(child)
        kind = .array(items)
        return child
    }

    static func literal<T: BinaryInteger>(_ value: T) -> String { String(value) }
    static func literal(_ value: Double) -> String { JSONText.number(value) }
}

private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }
}

private struct NodeEncoder: Encoder {
    let node: JSONNode
    var codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .object = node.kind {} else { node.kind = .object([]) }
        return KeyedEncodingContainer(KeyedNodeContainer<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .array = node.kind {} else { node.kind = .array([]) }
        return UnkeyedNodeContainer(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleNodeContainer(node: node, codingPath: codingPath) }
}

private struct SingleNodeContainer: SingleValueEncodingContainer {
    let node: JSONNode
    var codingPath: [any CodingKey]

    mutating func encodeNil() throws { node.kind = .literal("null") }
    mutating func encode(_ value: Bool) throws { node.kind = .literal(value ? "true" : "false") }
    mutating func encode(_ value: String) throws { node.kind = .literal(JSONText.quote(value)) }
    mutating func encode(_ value: Double) throws { node.kind = .literal(JSONNode.literal(value)) }
    mutating func encode(_ value: Float) throws { node.kind = .literal(JSONNode.literal(Double(value))) }
    mutating func encode(_ value: Int) throws { node.kind = .literal(JSONNode.literal(value)) }
    mutating func encode(_ value: Int8) throws { node.kind = .literal(JSONNode.literal(value)) }
    mutating func encode(_ value: Int16) throws { node.kind = .literal(JSONNode.literal(value)) }
    mutating func encode(_ value: Int32) throws { node.kind = .literal(JSONNode.literal(value)) }
    mutating func encode(_ value: Int64) throws { node.kind = .literal(JSONNode.literal(value)) }
    mutating func encode(_ value: UInt) throws { node.kind = .literal(JSONNode.literal(value)) }
    mutating func encode(_ value: UInt8) throws { node.kind = .literal(JSONNode.literal(value)) }
    mutating func encode(_ value: UInt16) throws { node.kind = .literal(JSONNode.literal(value)) }
    mutating func encode(_ value: UInt32) throws { node.kind = .literal(JSONNode.literal(value)) }
    mutating func encode(_ value: UInt64) throws { node.kind = .literal(JSONNode.literal(value)) }
    mutating func encode<T: Encodable>(_ value: T) throws { try value.encode(to: NodeEncoder(node: node, codingPath: codingPath)) }
}

private struct KeyedNodeContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: JSONNode
    var codingPath: [any CodingKey]

    private func single(_ key: Key) -> SingleNodeContainer {
        SingleNodeContainer(node: node.member(key.stringValue), codingPath: codingPath + [key])
    }

    mutating func encodeNil(forKey key: Key) throws { var c = single(key); try c.encodeNil() }
    mutating func encode(_ value: Bool, forKey key: Key) throws { var c = single(key); try c.encode(value) }
    mutating func encode(_ value: String, forKey key: Key) throws { var c = single(key); try c.encode(value) }
    mutating func encode(_ value: Double, forKey key: Key) throws { var c = single(key); try c.encode(value) }
    mutating func encode(_ value: Float, forKey key: Key) throws { var c = single(key); try c.encode(value) }
    mutating func encode(_ value: Int, forKey key: Key) throws { var c = single(key); try c.encode(value) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { var c = single(key); try c.encode(value) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { var c = single(key); try c.encode(value) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try value.encode(to: NodeEncoder(node: node.member(key.stringValue), codingPath: codingPath + [key]))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        NodeEncoder(node: node.member(key.stringValue), codingPath: codingPath + [key]).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        NodeEncoder(node: node.member(key.stringValue), codingPath: codingPath + [key]).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { NodeEncoder(node: node.member("super"), codingPath: codingPath) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { NodeEncoder(node: node.member(key.stringValue), codingPath: codingPath + [key]) }
}

private struct UnkeyedNodeContainer: UnkeyedEncodingContainer {
    let node: JSONNode
    var codingPath: [any CodingKey]
    var count: Int {
        if case .array(let items) = node.kind { return items.count }
        return 0
    }

    private func next() -> (JSONNode, [any CodingKey]) { (node.appendItem(), codingPath + [AnyKey(intValue: count)]) }

    mutating func encodeNil() throws { let (n, p) = next(); var c = SingleNodeContainer(node: n, codingPath: p); try c.encodeNil() }
    mutating func encode(_ value: Bool) throws { let (n, p) = next(); var c = SingleNodeContainer(node: n, codingPath: p); try c.encode(value) }
    mutating func encode(_ value: String) throws { let (n, p) = next(); var c = SingleNodeContainer(node: n, codingPath: p); try c.encode(value) }
    mutating func encode(_ value: Double) throws { let (n, p) = next(); var c = SingleNodeContainer(node: n, codingPath: p); try c.encode(value) }
    mutating func encode(_ value: Int) throws { let (n, p) = next(); var c = SingleNodeContainer(node: n, codingPath: p); try c.encode(value) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        let (n, p) = next()
        try value.encode(to: NodeEncoder(node: n, codingPath: p))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let (n, p) = next()
        return NodeEncoder(node: n, codingPath: p).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let (n, p) = next()
        return NodeEncoder(node: n, codingPath: p).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        let (n, p) = next()
        return NodeEncoder(node: n, codingPath: p)
    }
}

/// A string-to-string map that encodes its keys sorted (a stable JSON object), e.g. checksums by file name.
public struct SortedStringMap: Codable, Sendable, Equatable {
    public var values: [String: String]

    public init(_ values: [String: String] = [:]) { self.values = values }

    public init(from decoder: any Decoder) throws { values = try [String: String](from: decoder) }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: AnyKey.self)
        for key in values.keys.sorted() { try container.encode(values[key]!, forKey: AnyKey(stringValue: key)) }
    }
}
