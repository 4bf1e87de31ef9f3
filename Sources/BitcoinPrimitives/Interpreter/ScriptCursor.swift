/// Reads a script one operation at a time, as the interpreter executes it: a malformed push
/// is only an error when execution reaches it.
struct ScriptCursor {
    let bytes: [UInt8]
    private(set) var position = 0

    init(_ bytes: [UInt8], position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    var isAtEnd: Bool { position >= bytes.count }

    /// The next opcode and, for pushes, the pushed bytes.
    mutating func next() throws(ScriptError) -> (opcode: UInt8, data: [UInt8]?) {
        guard position < bytes.count else { throw .malformedPush }
        let opcode = bytes[position]
        position += 1
        guard opcode <= Opcode.pushData4.rawValue else { return (opcode, nil) }
        let lengthBytes: Int
        switch opcode {
        case Opcode.pushData1.rawValue: lengthBytes = 1
        case Opcode.pushData2.rawValue: lengthBytes = 2
        case Opcode.pushData4.rawValue: lengthBytes = 4
        default: lengthBytes = 0
        }
        let remaining = bytes.count - position
        guard lengthBytes <= remaining else { throw .malformedPush }
        var length = lengthBytes == 0 ? Int(opcode) : 0
        for i in 0..<lengthBytes { length |= Int(bytes[position + i]) << (8 * i) }
        guard length <= remaining - lengthBytes else { throw .malformedPush }
        let start = position + lengthBytes
        position = start + length
        return (opcode, Array(bytes[start..<start + length]))
    }
}
