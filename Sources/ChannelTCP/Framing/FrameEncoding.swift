import NIOCore

extension ByteBufferAllocator {
    /// One frame in one buffer: the body's length as 4 big-endian bytes, then the body, so it
    /// goes out in one write.
    func frame(_ body: [UInt8]) -> ByteBuffer {
        var buffer = self.buffer(capacity: 4 + body.count)
        buffer.writeInteger(UInt32(truncatingIfNeeded: body.count), endianness: .big)
        buffer.writeBytes(body)
        return buffer
    }
}
