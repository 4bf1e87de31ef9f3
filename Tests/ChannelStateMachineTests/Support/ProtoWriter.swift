/// A minimal protobuf writer for building hostile and hand-made messages in tests.
struct ProtoWriter {
    private(set) var bytes: [UInt8] = []

    static func varint(_ value: UInt64) -> [UInt8] {
        var v = value
        var out: [UInt8] = []
        while v >= 0x80 {
            out.append(UInt8(v & 0x7f) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
        return out
    }

    /// A varint field (wire type 0).
    mutating func varint(_ field: UInt64, _ value: UInt64) {
        bytes += Self.varint(field << 3) + Self.varint(value)
    }

    /// A length-delimited field (wire type 2).
    mutating func bytes(_ field: UInt64, _ value: [UInt8]) {
        bytes += Self.varint(field << 3 | 2) + Self.varint(UInt64(value.count)) + value
    }

    /// A raw tag with any wire type, followed by `payload` as is.
    mutating func raw(_ field: UInt64, wireType: UInt64, _ payload: [UInt8]) {
        bytes += Self.varint(field << 3 | wireType) + payload
    }

    /// Builds a message with the writer's calls.
    static func build(_ body: (inout ProtoWriter) -> Void) -> [UInt8] {
        var writer = ProtoWriter()
        body(&writer)
        return writer.bytes
    }
}

/// SplitMix64: a small deterministic generator for seeded random inputs.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
