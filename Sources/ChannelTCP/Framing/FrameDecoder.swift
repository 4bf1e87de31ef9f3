import ChannelStateMachine
import NIOCore

/// Splits the inbound byte stream into message bodies, the way bitcoinj frames them: a 4-byte
/// big-endian length, then that many bytes.
///
/// The length is checked as soon as its 4 bytes arrive: one above ``maxBodySize`` (or with its
/// top bit set, which bitcoinj reads as negative) is reported as a ``FrameError`` at once, before
/// any of the body is waited for, and the handler that owns the connection closes it. A zero
/// length yields an empty body.
struct FrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    /// The longest body accepted.
    let maxBodySize: Int

    init(maxBodySize: Int = WireLimits.maxMessageSize) {
        self.maxBodySize = maxBodySize
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: UInt32.self) else {
            return .needMoreData
        }
        guard length <= UInt32(maxBodySize) else {
            throw FrameError(announcedLength: length, maxBodySize: maxBodySize)
        }
        let total = 4 + Int(length)
        guard buffer.readableBytes >= total else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 4)
        guard let body = buffer.readSlice(length: Int(length)) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(body))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        // A frame cut short by the end of the stream is dropped with the connection.
        while try decode(context: context, buffer: &buffer) == .continue {}
        buffer.clear()
        return .needMoreData
    }
}

/// A peer announced a frame longer than the protocol allows (or a "negative" one); the
/// connection is closed without reading its body.
public struct FrameError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The 4-byte length prefix as received.
    public let announcedLength: UInt32
    /// The longest body accepted.
    public let maxBodySize: Int

    public var description: String {
        if announcedLength & 0x8000_0000 != 0 {
            return "frame length prefix \(announcedLength) is negative as a signed 32-bit number"
        }
        return "frame of \(announcedLength) bytes exceeds the limit of \(maxBodySize)"
    }
}
