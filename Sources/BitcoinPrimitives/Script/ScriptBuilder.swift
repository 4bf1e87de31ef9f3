/// Builds scripts with minimal pushes (BIP62): the shortest push opcode for each item, small
/// integers as `OP_0`/`OP_1`…`OP_16`, and numbers in minimal script-number encoding.
public struct ScriptBuilder: Sendable {
    /// The script built so far, serialized.
    public private(set) var bytes: [UInt8] = []

    /// An empty builder.
    public init() {}

    /// Appends an opcode.
    @discardableResult
    public mutating func add(_ opcode: Opcode) -> Self {
        bytes.append(opcode.rawValue)
        return self
    }

    /// Appends a minimal push of `data`.
    @discardableResult
    public mutating func push(_ data: [UInt8]) -> Self {
        switch data.count {
        case 0:
            bytes.append(Opcode.op0.rawValue)
        case 1 where (1...16).contains(data[0]):
            bytes.append(0x50 + data[0])
        case 1 where data[0] == 0x81:
            bytes.append(Opcode.op1Negate.rawValue)
        case 1...75:
            bytes.append(UInt8(data.count))
            bytes.append(contentsOf: data)
        case 76...255:
            bytes.append(Opcode.pushData1.rawValue)
            bytes.append(UInt8(data.count))
            bytes.append(contentsOf: data)
        case 256...65535:
            bytes.append(Opcode.pushData2.rawValue)
            bytes.append(UInt8(data.count & 0xff))
            bytes.append(UInt8(data.count >> 8))
            bytes.append(contentsOf: data)
        default:
            bytes.append(Opcode.pushData4.rawValue)
            for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: data.count >> shift)) }
            bytes.append(contentsOf: data)
        }
        return self
    }

    /// Appends a number: `OP_0`, `OP_1NEGATE`, `OP_1`…`OP_16`, or a push of its minimal
    /// script-number encoding.
    @discardableResult
    public mutating func push(number: Int64) -> Self {
        if number == -1 {
            bytes.append(Opcode.op1Negate.rawValue)
        } else if (0...16).contains(number), let op = Opcode.smallInteger(Int(number)) {
            bytes.append(op.rawValue)
        } else {
            let encoded = ScriptNumber.encode(number)
            bytes.append(UInt8(encoded.count))
            bytes.append(contentsOf: encoded)
        }
        return self
    }

    /// The finished script.
    public var script: Script { Script(bytes: bytes) }
}
