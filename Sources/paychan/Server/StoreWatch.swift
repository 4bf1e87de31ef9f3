import ChannelManager

/// Watches a shared store for failure: a PostgreSQL store fails for good when its connection
/// or the database is lost (nothing of the failed writes is acknowledged), so a node whose
/// store failed stops, and its supervisor starts it again on a new store; its channels go to
/// the other nodes meanwhile (their claims lapse or were never renewed).
enum StoreWatch {
    /// Returns the error once a probe write (an empty commit, once a second) fails.
    static func waitForFailure(of store: any ChannelStore) async -> StoreError? {
        while !Task.isCancelled {
            do throws(StoreError) {
                try await store.waitUntilDurable(store.enqueue([]))
            } catch {
                return error
            }
            try? await Task.sleep(nanoseconds: 1_000_000_000)
        }
        return nil
    }
}
