/// One parsed script element: an opcode, with its data when it is a push.
public struct ScriptOperation: Hashable, Sendable {
    /// The opcode (for a push, the push opcode or the length byte).
    public let opcode: Opcode
    /// The pushed bytes for push opcodes (empty for `OP_0`); `nil` for other opcodes.
    public let data: [UInt8]?

    /// An operation of `opcode`, with `data` when it is a push.
    public init(opcode: Opcode, data: [UInt8]? = nil) {
        self.opcode = opcode
        self.data = data
    }

    /// Whether the push uses the shortest encoding for its data (BIP62 minimal push rule).
    public var isMinimalPush: Bool {
        guard let data else { return true }
        if data.isEmpty { return opcode == .op0 }
        if data.count == 1 && (1...16).contains(data[0]) { return false }
        if data.count == 1 && data[0] == 0x81 { return false }
        if data.count <= 75 { return opcode.rawValue == data.count }
        if data.count <= 255 { return opcode == .pushData1 }
        if data.count <= 65535 { return opcode == .pushData2 }
        return true
    }
}
