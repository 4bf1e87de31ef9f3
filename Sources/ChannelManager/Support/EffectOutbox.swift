/// Effects a session must carry out, in order, each one behind the durability of every write
/// enqueued before it. Machine inputs are processed at once (so verification of the next
/// payment overlaps the sync of the last one); the outbox releases their effects in order as
/// the store catches up.
struct EffectOutbox<Effect> {
    private var items: [(ticket: StoreTicket?, effect: Effect)] = []
    private var head = 0
    /// The newest write enqueued by this session; effects appended after it wait for it.
    var lastTicket: StoreTicket?
    /// Whether a task is releasing effects.
    var draining = false

    var isEmpty: Bool { head == items.count }

    /// Queues an effect behind the writes enqueued so far.
    mutating func append(_ effect: Effect) { items.append((lastTicket, effect)) }

    /// The next effect to release, oldest first.
    mutating func next() -> (ticket: StoreTicket?, effect: Effect)? {
        guard head < items.count else {
            items.removeAll(keepingCapacity: items.capacity <= 256)
            head = 0
            return nil
        }
        let item = items[head]
        head += 1
        if head >= 256, head * 2 >= items.count {
            items.removeFirst(head)
            head = 0
        }
        return item
    }

    /// Releases effects in order until `next` has none: before each one, waits until the writes
    /// it depends on are durable. A failed write is handed to `storeFailed` (which should discard
    /// what depends on it and queue the machine's failure effects), and release goes on.
    static func release(
        next: () -> (ticket: StoreTicket?, effect: Effect)?, store: any ChannelStore,
        storeFailed: (StoreError) -> Void, perform: (Effect) async -> Void
    ) async {
        var durable: StoreTicket?
        while let (ticket, effect) = next() {
            if let ticket, durable.map({ $0 < ticket }) ?? true {
                do throws(StoreError) {
                    try await store.waitUntilDurable(ticket)
                    durable = ticket
                } catch {
                    storeFailed(error)
                    continue
                }
            }
            await perform(effect)
        }
    }

    /// Claims the right to release effects: true (and `draining` set) when there is something
    /// to release and nobody is releasing it yet.
    mutating func claimDrain() -> Bool {
        guard !draining, !isEmpty else { return false }
        draining = true
        return true
    }

    /// The next effect to release, or nil after giving up the right to release.
    mutating func nextOrFinish() -> (ticket: StoreTicket?, effect: Effect)? {
        if let item = next() { return item }
        draining = false
        return nil
    }

    /// Drops every queued effect (a write they depend on failed) and forgets the last ticket.
    mutating func discardAll() {
        items.removeAll()
        head = 0
        lastTicket = nil
    }
}
