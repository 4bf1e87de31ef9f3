import Foundation

/// A JSON document as Bitcoin Core's JSON-RPC sends and receives it.
///
/// Numbers keep their integer form when they have one (heights, confirmations, error codes);
/// other numbers (amounts and fee rates in BTC) are doubles. Every accessor that reads a
/// node's answer throws ``RPCError/unavailable(_:)`` naming what was expected, never traps.
public enum JSONValue: Sendable, Hashable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number with no fraction that fits 64 bits.
    case integer(Int64)
    /// Any other number.
    case number(Double)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object (member order is not kept; encoding sorts the keys).
    case object([String: JSONValue])

    /// Parses `bytes` as one JSON document.
    /// - Throws: ``RPCError/unavailable(_:)`` when the bytes are not JSON.
    public static func parse(_ bytes: some Collection<UInt8>) throws(RPCError) -> JSONValue {
        do { return try JSONDecoder().decode(JSONValue.self, from: Data(bytes)) } catch {
            throw .unavailable("the node answered something that is not JSON (\(bytes.count) bytes)")
        }
    }

    /// The compact JSON text of this value, keys sorted.
    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a JSONValue cannot fail: every case maps to a JSON value.
        return (try? Array(encoder.encode(self))) ?? Array("null".utf8)
    }

    /// True for `null`.
    public var isNull: Bool { self == .null }

    /// The member `name` of an object (`null` when absent).
    /// - Throws: when this is not an object.
    public func member(_ name: String) throws(RPCError) -> JSONValue {
        guard case .object(let members) = self else { throw Self.mismatch("an object with \(name)", self) }
        return members[name] ?? .null
    }

    /// The string this is.
    public func string() throws(RPCError) -> String {
        guard case .string(let value) = self else { throw Self.mismatch("a string", self) }
        return value
    }

    /// The integer this is (a double with no fraction counts).
    public func integer() throws(RPCError) -> Int64 {
        switch self {
        case .integer(let value): return value
        case .number(let value) where value.rounded() == value && abs(value) < 9e15: return Int64(value)
        default: throw Self.mismatch("an integer", self)
        }
    }

    /// The number this is.
    public func double() throws(RPCError) -> Double {
        switch self {
        case .integer(let value): return Double(value)
        case .number(let value): return value
        default: throw Self.mismatch("a number", self)
        }
    }

    /// The boolean this is.
    public func bool() throws(RPCError) -> Bool {
        guard case .bool(let value) = self else { throw Self.mismatch("a boolean", self) }
        return value
    }

    /// The elements of the array this is.
    public func array() throws(RPCError) -> [JSONValue] {
        guard case .array(let values) = self else { throw Self.mismatch("an array", self) }
        return values
    }

    /// A short, bounded description of a value for error messages.
    var summary: String {
        let text = String(decoding: encoded(), as: UTF8.self)
        return text.count > 120 ? String(text.prefix(120)) + "…" : text
    }

    private static func mismatch(_ expected: String, _ value: JSONValue) -> RPCError {
        .unavailable("the node answered \(value.summary) where \(expected) was expected")
    }
}

extension JSONValue: Codable {
    /// Decodes any JSON value.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// Encodes the value as the JSON it stands for.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let values): try container.encode(values)
        case .object(let members): try container.encode(members)
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    /// A string.
    public init(stringLiteral value: String) { self = .string(value) }
    /// An integer.
    public init(integerLiteral value: Int64) { self = .integer(value) }
    /// A boolean.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// An array.
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    /// An object (the last of repeated keys wins).
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
