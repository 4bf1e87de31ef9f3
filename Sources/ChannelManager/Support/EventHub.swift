import Synchronization

/// Fans events out to a handler and to any number of async sequences.
final class EventHub<Event: Sendable>: Sendable {
    private struct State {
        var nextID = 0
        var subscribers: [Int: AsyncStream<Event>.Continuation] = [:]
    }

    private let state = Mutex(State())
    private let handler: (@Sendable (Event) -> Void)?

    init(handler: (@Sendable (Event) -> Void)?) { self.handler = handler }

    /// A new sequence of every event from now on. When more than `buffer` events are waiting
    /// unread, the oldest are dropped.
    func subscribe(buffer: Int) -> AsyncStream<Event> {
        let (stream, continuation) = AsyncStream.makeStream(of: Event.self, bufferingPolicy: .bufferingNewest(buffer))
        let id = state.withLock { state -> Int in
            state.nextID += 1
            state.subscribers[state.nextID] = continuation
            return state.nextID
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    func publish(_ event: Event) {
        handler?(event)
        let subscribers = state.withLock { Array($0.subscribers.values) }
        for subscriber in subscribers { subscriber.yield(event) }
    }

    /// Ends every sequence.
    func finish() {
        let subscribers = state.withLock { state -> [AsyncStream<Event>.Continuation] in
            defer { state.subscribers = [:] }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.finish() }
    }
}
