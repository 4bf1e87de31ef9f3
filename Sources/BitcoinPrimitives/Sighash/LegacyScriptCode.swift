/// The script code as the legacy signature hash serializes it: Bitcoin Core's
/// `CTransactionSignatureSerializer::SerializeScriptCode`.
///
/// Every `OP_CODESEPARATOR` is left out. The length prefix is the script's length minus the
/// separators found before any malformed push; the bytes written stop where parsing stopped.
/// So a script that ends in a truncated push is written shorter than its length prefix says,
/// exactly as Core does (the `sighash.json` vectors depend on it).
struct LegacyScriptCode {
    /// The length written as the CompactSize prefix.
    let declaredLength: Int
    /// The bytes written after the prefix, when they differ from the whole script.
    let strippedBytes: [UInt8]?

    init(_ script: [UInt8]) {
        var separators = 0
        var position = 0
        // Where each separator sits, found in one pass; the common case finds none.
        var separatorOffsets: [Int] = []
        var stop = script.count
        while position < script.count {
            let opcode = script[position]
            position += 1
            if opcode == Opcode.codeSeparator.rawValue {
                separators += 1
                separatorOffsets.append(position - 1)
                continue
            }
            guard opcode <= Opcode.pushData4.rawValue else { continue }
            guard let next = Self.endOfPush(script, opcode: opcode, after: position) else {
                stop = Self.failurePosition(script, opcode: opcode, after: position)
                break
            }
            position = next
        }
        declaredLength = script.count - separators
        if separators == 0 && stop == script.count {
            strippedBytes = nil
            return
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(stop - separators)
        var start = 0
        for offset in separatorOffsets {
            bytes.append(contentsOf: script[start..<offset])
            start = offset + 1
        }
        if start < stop { bytes.append(contentsOf: script[start..<stop]) }
        strippedBytes = bytes
    }

    /// The offset after a well-formed push whose opcode byte ended at `after`, or `nil` when
    /// the push runs past the end.
    private static func endOfPush(_ script: [UInt8], opcode: UInt8, after: Int) -> Int? {
        let remaining = script.count - after
        let lengthBytes: Int
        switch opcode {
        case Opcode.pushData1.rawValue: lengthBytes = 1
        case Opcode.pushData2.rawValue: lengthBytes = 2
        case Opcode.pushData4.rawValue: lengthBytes = 4
        default: return Int(opcode) <= remaining ? after + Int(opcode) : nil
        }
        guard lengthBytes <= remaining else { return nil }
        var length = 0
        for i in 0..<lengthBytes { length |= Int(script[after + i]) << (8 * i) }
        guard length <= remaining - lengthBytes else { return nil }
        return after + lengthBytes + length
    }

    /// Where Core's `GetScriptOp` leaves its cursor when a push is malformed: after the length
    /// bytes when they were all present, otherwise right after the opcode.
    private static func failurePosition(_ script: [UInt8], opcode: UInt8, after: Int) -> Int {
        let lengthBytes: Int
        switch opcode {
        case Opcode.pushData1.rawValue: lengthBytes = 1
        case Opcode.pushData2.rawValue: lengthBytes = 2
        case Opcode.pushData4.rawValue: lengthBytes = 4
        default: lengthBytes = 0
        }
        return lengthBytes <= script.count - after ? after + lengthBytes : after
    }

    /// The number of bytes this takes in a preimage.
    var serializedSize: Int {
        ByteWriter.compactSizeLength(UInt64(declaredLength)) + (strippedBytes?.count ?? declaredLength)
    }

    func write(to writer: inout ByteWriter, original: [UInt8]) {
        writer.writeCompactSize(UInt64(declaredLength))
        writer.write(strippedBytes ?? original)
    }
}
