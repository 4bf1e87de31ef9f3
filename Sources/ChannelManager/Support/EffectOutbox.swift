/// Effects a session must carry out, in order, each one behind the durability of every write
/// enqueued before it. Machine inputs are processed at once (so verification of the next
/// payment overlaps the sync of the last one); the outbox releases their effects in order as
/// the store catches up.
///
/// Release is driven by ``step()``: whoever holds the drain claim (``claimDrain()``) performs
/// what it returns until it is told to wait for a ticket (then it asks the store to call back
/// once that ticket is durable, and carries on from there) or that nothing is left (then the
/// claim is given up). No task or thread hop is needed between an input and its effects, nor
/// between a commit and the effects waiting for it.
struct EffectOutbox<Effect> {
    /// What the holder of the drain claim does next.
    enum Step {
        /// Perform this effect, then ask again.
        case perform(Effect)
        /// The next effect waits for this ticket: call ``markDurable(_:)`` once it is durable
        /// (or ``discardAll()`` if it failed), then ask again. The claim is kept meanwhile.
        case wait(StoreTicket)
        /// Nothing is left; the claim was given up.
        case finished
    }

    private var items: [(ticket: StoreTicket?, effect: Effect)] = []
    private var head = 0
    /// The newest write enqueued by this session; effects appended after it wait for it.
    var lastTicket: StoreTicket?
    /// The newest ticket known durable: effects behind it or older ones need no wait.
    private var durable: StoreTicket?
    /// Whether someone holds the right to release effects.
    private(set) var draining = false

    var isEmpty: Bool { head == items.count }

    /// Queues an effect behind the writes enqueued so far.
    mutating func append(_ effect: Effect) { items.append((lastTicket, effect)) }

    /// Claims the right to release effects: true (and `draining` set) when there is something
    /// to release and nobody is releasing it yet.
    mutating func claimDrain() -> Bool {
        guard !draining, !isEmpty else { return false }
        draining = true
        return true
    }

    /// For the holder of the drain claim: the next effect to perform, the ticket it waits for,
    /// or `.finished` (the claim given up) when nothing is left.
    mutating func step() -> Step {
        guard head < items.count else {
            items.removeAll(keepingCapacity: items.capacity <= 256)
            head = 0
            draining = false
            return .finished
        }
        let item = items[head]
        if let ticket = item.ticket, durable.map({ $0 < ticket }) ?? true { return .wait(ticket) }
        head += 1
        if head >= 256, head * 2 >= items.count {
            items.removeFirst(head)
            head = 0
        }
        return .perform(item.effect)
    }

    /// Records that `ticket` (and every write before it) is durable.
    mutating func markDurable(_ ticket: StoreTicket) {
        if durable.map({ $0 < ticket }) ?? true { durable = ticket }
    }

    /// Drops every queued effect (a write they depend on failed) and forgets the last ticket.
    /// The drain claim is kept: its holder goes on with whatever is queued next.
    mutating func discardAll() {
        items.removeAll()
        head = 0
        lastTicket = nil
    }
}
