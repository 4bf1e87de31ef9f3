import ChannelManager

/// Whether a store takes writes now: one empty commit (a real write transaction, synced), which
/// must be durable within `timeout`. A store that fails it, or whose writer is stuck (a lock held
/// by another process, a database that does not answer), is reported with the reason.
enum StoreProbe {
    static func problem(with store: any ChannelStore, timeout: Duration = .seconds(2)) async -> String? {
        let outcome = FirstOutcome<String?>()
        return await withCheckedContinuation { continuation in
            outcome.set(continuation)
            Task {
                do throws(StoreError) {
                    try await store.waitUntilDurable(store.enqueue([]))
                    outcome.finish(nil)
                } catch {
                    outcome.finish("the store is not writable: \(error)")
                }
            }
            Task {
                try? await Task.sleep(for: timeout)
                outcome.finish("the store did not commit within \(timeout)")
            }
        }
    }
}
