/// `ServerVersion`: the server's answer to ``ClientVersion``, naming the major version it will
/// speak.
public struct ServerVersion: Hashable, Sendable {
    /// The protocol major version the server will speak.
    public var major: Int32

    private var minorIfPresent: Int32?

    /// Creates the message. bitcoinj's server always sends `minor`, even as 0
    /// (bytes `08021a0408021000` for version 2.0); `nil` leaves it out.
    public init(major: Int32, minor: Int32? = 0) {
        self.major = major
        self.minorIfPresent = minor
    }

    /// The minor version: the field's value, or 0 when absent. Setting it makes it present.
    public var minor: Int32 {
        get { minorIfPresent ?? 0 }
        set { minorIfPresent = newValue }
    }

    /// Whether the `minor` field is present.
    public var hasMinor: Bool { minorIfPresent != nil }

    /// Removes the `minor` field.
    public mutating func clearMinor() { minorIfPresent = nil }
}
