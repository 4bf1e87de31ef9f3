extension StoreError {
    /// The error for a write fenced by a claim that is no longer the channel's (or lapsed).
    public static func claimLost(_ claim: ChannelClaim) -> StoreError {
        StoreError(.claimLost, "\(claim) is no longer held (lapsed or taken over)")
    }

    /// Whether the error refuses only the enqueue that met it (the writes do not fit the stored
    /// data, or their claim is lost), leaving the store working.
    public var refusesTicketAlone: Bool { kind == .inconsistent || kind == .claimLost }
}
