import CShims

/// Explains why protobuf-c refused a message, which it reports only as a NULL result.
///
/// Walks the bytes again with protobuf-c's own descriptors (so the schema is not repeated
/// here) and names the first problem: a bad tag, varint or length, a truncated field, an
/// unsupported wire type, a known field with the wrong wire type, or a missing required field,
/// with the path of nested messages that leads to it.
enum WireDiagnosis {
    static func explain(_ buffer: UnsafeRawBufferPointer) -> String {
        withUnsafePointer(to: paymentchannels__two_way_channel_message__descriptor) { descriptor in
            problem(in: buffer, range: 0..<buffer.count, descriptor: descriptor)
                ?? "protobuf-c could not unpack the message"
        }
    }

    private static func problem(
        in buffer: UnsafeRawBufferPointer, range: Range<Int>, descriptor: UnsafePointer<ProtobufCMessageDescriptor>
    ) -> String? {
        let message = String(cString: descriptor.pointee.name)
        var offset = range.lowerBound
        var seen = Set<UInt32>()
        while offset < range.upperBound {
            guard let (tag, tagLength) = readVarint(buffer, at: offset, end: range.upperBound, maxBytes: 5),
                tag >> 3 != 0, tag >> 3 <= UInt64(UInt32.max)
            else { return "\(message): bad field tag at byte \(offset)" }
            offset += tagLength
            let number = UInt32(tag >> 3)
            let wireType = Int(tag & 7)
            let field = fieldDescriptor(number, in: descriptor)
            let name = field.map { String(cString: $0.pointee.name) } ?? "field \(number)"
            let valueStart = offset
            switch wireType {
            case 0:
                guard let (_, length) = readVarint(buffer, at: offset, end: range.upperBound, maxBytes: 10) else {
                    return "\(message).\(name): bad varint at byte \(offset)"
                }
                offset += length
            case 1, 5:
                let length = wireType == 1 ? 8 : 4
                guard range.upperBound - offset >= length else { return "\(message).\(name): truncated" }
                offset += length
            case 2:
                guard let (length, prefix) = readVarint(buffer, at: offset, end: range.upperBound, maxBytes: 10),
                    length <= UInt64(range.upperBound - offset - prefix)
                else { return "\(message).\(name): bad or truncated length at byte \(offset)" }
                offset += prefix + Int(length)
            default:
                return "\(message).\(name): unsupported wire type \(wireType)"
            }
            guard let field else { continue }
            seen.insert(number)
            let expected = expectedWireType(field.pointee.type)
            guard expected == nil || expected == wireType else {
                return "\(message).\(name): wire type \(wireType), expected \(expected.map(String.init) ?? "?")"
            }
            if field.pointee.type == PROTOBUF_C_TYPE_MESSAGE, let nested = field.pointee.descriptor {
                let nestedDescriptor = nested.assumingMemoryBound(to: ProtobufCMessageDescriptor.self)
                let (_, prefix) = readVarint(buffer, at: valueStart, end: range.upperBound, maxBytes: 10) ?? (0, 0)
                if let inner = problem(in: buffer, range: (valueStart + prefix)..<offset, descriptor: nestedDescriptor)
                {
                    return "\(message).\(name): \(inner)"
                }
            }
        }
        for index in 0..<Int(descriptor.pointee.n_fields) {
            let field = descriptor.pointee.fields[index]
            if field.label == PROTOBUF_C_LABEL_REQUIRED && !seen.contains(field.id) {
                return "\(message): missing required field \(String(cString: field.name))"
            }
        }
        return nil
    }

    private static func fieldDescriptor(
        _ number: UInt32, in descriptor: UnsafePointer<ProtobufCMessageDescriptor>
    ) -> UnsafePointer<ProtobufCFieldDescriptor>? {
        for index in 0..<Int(descriptor.pointee.n_fields) where descriptor.pointee.fields[index].id == number {
            return descriptor.pointee.fields + index
        }
        return nil
    }

    /// The wire type protobuf-c accepts for a field type (`nil`: not used by this protocol).
    private static func expectedWireType(_ type: ProtobufCType) -> Int? {
        switch type {
        case PROTOBUF_C_TYPE_INT32, PROTOBUF_C_TYPE_UINT64, PROTOBUF_C_TYPE_ENUM: return 0
        case PROTOBUF_C_TYPE_BYTES, PROTOBUF_C_TYPE_STRING, PROTOBUF_C_TYPE_MESSAGE: return 2
        default: return nil
        }
    }

    /// Reads a base-128 varint of at most `maxBytes` bytes; returns its value and length.
    private static func readVarint(
        _ buffer: UnsafeRawBufferPointer, at start: Int, end: Int, maxBytes: Int
    ) -> (UInt64, Int)? {
        var value: UInt64 = 0
        var index = start
        while index < end && index - start < maxBytes {
            let byte = buffer[index]
            let shift = UInt64(7 * (index - start))
            if shift < 64 { value |= UInt64(byte & 0x7f) << shift }
            index += 1
            if byte & 0x80 == 0 { return (value, index - start) }
        }
        return nil
    }
}
