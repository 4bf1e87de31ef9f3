import BitcoinPrimitives

/// `ClientVersion`: the first message of every connection, from the client.
///
/// The optional fields keep their presence, so that a decoded message encodes back to the same
/// bytes. ``minor`` and ``timeWindowSecs`` read as their `.proto` defaults when absent.
public struct ClientVersion: Hashable, Sendable {
    /// The time window bitcoinj's client asks for: one day less a minute.
    public static let defaultTimeWindowSecs: UInt64 = 86_340

    /// The protocol major version the client asks for.
    public var major: Int32

    private var minorIfPresent: Int32?
    private var timeWindowSecsIfPresent: UInt64?

    /// The contract txid of a channel the client wants to resume, in display byte order on the
    /// wire (`Sha256Hash.getBytes()` in bitcoinj); `nil` when the field is absent.
    public var previousChannelContractHash: Hash256?

    /// Creates the message. `nil` leaves an optional field out; the defaults are what bitcoinj's
    /// client sends (`minor` 0 and `time_window_secs` 86340, both present).
    public init(
        major: Int32, minor: Int32? = 0, previousChannelContractHash: Hash256? = nil,
        timeWindowSecs: UInt64? = ClientVersion.defaultTimeWindowSecs
    ) {
        self.major = major
        self.minorIfPresent = minor
        self.previousChannelContractHash = previousChannelContractHash
        self.timeWindowSecsIfPresent = timeWindowSecs
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

    /// The requested channel lifetime in seconds: the field's value, or
    /// ``defaultTimeWindowSecs`` when absent. Setting it makes it present.
    public var timeWindowSecs: UInt64 {
        get { timeWindowSecsIfPresent ?? Self.defaultTimeWindowSecs }
        set { timeWindowSecsIfPresent = newValue }
    }

    /// Whether the `time_window_secs` field is present.
    public var hasTimeWindowSecs: Bool { timeWindowSecsIfPresent != nil }

    /// Removes the `time_window_secs` field.
    public mutating func clearTimeWindowSecs() { timeWindowSecsIfPresent = nil }
}
