/// The channel protocol's major versions.
public enum ProtocolVersion: Int32, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    /// Version 1: a bare 2-of-2 multisig contract and a refund the server co-signs.
    case v1 = 1
    /// Version 2: a P2SH CLTV contract; the client's refund needs no server signature.
    case v2 = 2

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { "v\(rawValue)" }
}

/// Which versions a client asks for and accepts, as bitcoinj's `VersionSelector`.
public enum VersionSelector: Sendable, Hashable, CaseIterable {
    /// Ask for version 1 only.
    case v1
    /// Ask for version 2, accept a server that answers with version 1.
    case v2AllowV1
    /// Ask for version 2 only.
    case v2

    /// The major version the client puts in `CLIENT_VERSION`.
    public var requested: ProtocolVersion { self == .v1 ? .v1 : .v2 }

    /// Whether the client goes on with a server that answered `major`.
    public func accepts(_ major: Int32) -> ProtocolVersion? {
        switch (self, major) {
        case (.v1, 1), (.v2AllowV1, 1): return .v1
        case (.v2AllowV1, 2), (.v2, 2): return .v2
        default: return nil
        }
    }
}
