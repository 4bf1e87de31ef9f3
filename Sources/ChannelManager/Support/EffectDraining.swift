/// A session that releases its machine's effects through an ``EffectOutbox``; ``drain()`` is
/// the release loop the client and server sessions share.
protocol EffectDraining: AnyObject, Sendable {
    associatedtype Effect

    /// The store the session's writes were enqueued in.
    var effectStore: any ChannelStore { get }
    /// The outbox's next step (``EffectOutbox/step()``), taken under the session's lock.
    func nextEffectStep() -> EffectOutbox<Effect>.Step
    /// A write the next effects wait for is durable, or failed.
    func durabilityKnown(_ ticket: StoreTicket, _ outcome: Result<Void, StoreError>)
    /// Performs an effect that needs no waiting and returns nil, or returns the work of one
    /// that does, to be run in a task.
    func performAtOnce(_ effect: Effect) -> (@Sendable () async -> Void)?
}

extension EffectDraining {
    /// For the holder of the drain claim: releases queued effects in order, on this thread,
    /// until one waits for a write (the store's callback goes on from there, on its committing
    /// thread) or needs a task (which goes on once it is done), or none is left.
    func drain() {
        while true {
            switch nextEffectStep() {
            case .finished:
                return
            case .wait(let ticket):
                let immediate = effectStore.notifyWhenDurable(ticket) { [self] outcome in
                    durabilityKnown(ticket, outcome)
                    drain()
                }
                guard let immediate else { return }
                durabilityKnown(ticket, immediate)
            case .perform(let effect):
                if let asynchronous = performAtOnce(effect) {
                    Task {
                        await asynchronous()
                        drain()
                    }
                    return
                }
            }
        }
    }
}
