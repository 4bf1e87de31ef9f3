/// `Error`: either side reports a failure, then closes the connection.
///
/// Named `ErrorMessage` so as not to shadow Swift's `Error`.
public struct ErrorMessage: Hashable, Sendable {
    private var codeIfPresent: ErrorCode?

    /// Free text from the peer; `nil` when the field is absent. Escape it before display.
    ///
    /// protobuf-c stores strings NUL-terminated, so a received explanation ends at its first
    /// NUL byte; invalid UTF-8 is repaired with U+FFFD.
    public var explanation: String?

    /// A hint: the value the sender would have accepted; `nil` when the field is absent.
    public var expectedValue: UInt64?

    /// Creates the message. bitcoinj always sets a code; `nil` leaves it out.
    public init(code: ErrorCode?, explanation: String? = nil, expectedValue: UInt64? = nil) {
        self.codeIfPresent = code
        self.explanation = explanation
        self.expectedValue = expectedValue
    }

    /// The error code: the field's value, or ``ErrorCode/other`` (the `.proto` default) when
    /// absent. Setting it makes it present.
    ///
    /// A code number this version does not know reads as absent, as in protobuf-java (which
    /// keeps it as an unknown field).
    public var code: ErrorCode {
        get { codeIfPresent ?? .other }
        set { codeIfPresent = newValue }
    }

    /// Whether the `code` field is present (with a known value).
    public var hasCode: Bool { codeIfPresent != nil }

    /// Removes the `code` field.
    public mutating func clearCode() { codeIfPresent = nil }
}
