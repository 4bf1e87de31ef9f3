/// A Bitcoin script: the raw bytes, with parsing into operations on demand.
///
/// A `Script` holds any byte string, including ones that do not parse (scripts in transactions
/// are opaque until executed); ``operations()`` reports malformed pushes as ``ParseError``.
public struct Script: Hashable, Sendable, CustomStringConvertible {
    /// The script's serialized bytes.
    public let bytes: [UInt8]

    /// A script of these bytes, as they are (parsing happens only in ``operations()``).
    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// Feeds the length and the bytes to the hasher in two calls rather than one per byte.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(bytes.count)
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    /// The empty script.
    public static let empty = Script(bytes: [])

    /// Whether the script has no bytes.
    public var isEmpty: Bool { bytes.isEmpty }
    /// The script's length in bytes.
    public var count: Int { bytes.count }

    /// Parses the script into operations; throws when a push runs past the end.
    public func operations() throws(ParseError) -> [ScriptOperation] {
        var result: [ScriptOperation] = []
        var i = 0
        while i < bytes.count {
            let op = bytes[i]
            i += 1
            guard op <= 0x4e else {
                result.append(ScriptOperation(opcode: Opcode(op)))
                continue
            }
            var length: Int
            switch op {
            case 0x4c:
                guard i + 1 <= bytes.count else { throw .truncated(offset: i, needed: 1) }
                length = Int(bytes[i])
                i += 1
            case 0x4d:
                guard i + 2 <= bytes.count else { throw .truncated(offset: i, needed: 2) }
                length = Int(bytes[i]) | Int(bytes[i + 1]) << 8
                i += 2
            case 0x4e:
                guard i + 4 <= bytes.count else { throw .truncated(offset: i, needed: 4) }
                length = Int(bytes[i]) | Int(bytes[i + 1]) << 8 | Int(bytes[i + 2]) << 16 | Int(bytes[i + 3]) << 24
                i += 4
            default:
                length = Int(op)
            }
            guard length <= bytes.count - i else { throw .truncated(offset: i, needed: length) }
            result.append(ScriptOperation(opcode: Opcode(op), data: Array(bytes[i..<i + length])))
            i += length
        }
        return result
    }

    /// Whether the whole script parses.
    public var isWellFormed: Bool { (try? operations()) != nil }

    /// Whether the script consists of pushes only (required of P2SH scriptSigs).
    public var isPushOnly: Bool {
        guard let ops = try? operations() else { return false }
        return ops.allSatisfy { $0.opcode.rawValue <= 0x60 }
    }

    /// Human-readable form: opcodes by name, pushes as hex. Unparseable tails are marked.
    public var description: String {
        guard let ops = try? operations() else { return "[malformed script \(bytes.hex)]" }
        return ops.map { op in
            if let data = op.data, !data.isEmpty { return data.hex }
            return op.opcode.description
        }.joined(separator: " ")
    }
}
