import Dispatch
import Foundation
import Logging
import Synchronization

/// SIGTERM and SIGINT (Ctrl-C) for a server, watched from its start: the first runs the action
/// given to ``onFirstSignal(_:)`` (which starts the graceful shutdown; at once if the signal came
/// before the action was given) and arms a backstop that exits with status 1 if the process is
/// still running `deadline` later; a second signal exits at once with status 130. Nothing
/// acknowledged is lost either way: acknowledgments are sent only after their writes are durable.
final class ShutdownSignals: Sendable {
    private let signalsSeen = Atomic<Int>(0)
    /// The action for the first signal, and whether that signal came before it was given.
    private let first = Mutex<(action: (@Sendable () -> Void)?, arrivedEarly: Bool)>((nil, false))
    /// Kept alive as long as this watcher.
    private let sources: SignalSources

    /// Starts watching (the signals' default actions are turned off for good).
    init(deadline: Duration) {
        let queue = DispatchQueue(label: "paychan.signals")
        sources = SignalSources()
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [self] in
                // Signals that arrive together come as one event: `data` counts them.
                let arrived = max(1, Int(source.data))
                let seen = signalsSeen.wrappingAdd(arrived, ordering: .relaxed).newValue
                if seen == arrived {
                    Self.say("stopping: a second SIGTERM or SIGINT exits at once")
                    queue.asyncAfter(deadline: .now() + deadline.timeInterval) {
                        Self.say("shutdown took longer than \(deadline): exiting")
                        _exit(1)
                    }
                    let action = first.withLock { first in
                        first.arrivedEarly = first.action == nil
                        return first.action
                    }
                    action?()
                }
                if seen > 1 {
                    Self.say("second signal: exiting at once")
                    _exit(130)
                }
            }
            source.resume()
            sources.keep(source)
        }
    }

    /// What the first signal does; run at once if it came already.
    func onFirstSignal(_ action: @escaping @Sendable () -> Void) {
        let arrived = first.withLock { first in
            first.action = action
            return first.arrivedEarly
        }
        if arrived { action() }
    }

    private static func say(_ line: String) {
        Logger(label: "paychan.server").notice("\(line)")
    }
}

/// The dispatch sources of the signals.
private final class SignalSources: @unchecked Sendable {
    // Unchecked: appended to only while the watcher is made, on one thread, then only held.
    private var sources: [any DispatchSourceSignal] = []

    func keep(_ source: any DispatchSourceSignal) { sources.append(source) }
}

extension Duration {
    /// The duration as a Dispatch interval.
    var timeInterval: DispatchTimeInterval {
        let (seconds, attoseconds) = components
        return .nanoseconds(Int(clamping: seconds * 1_000_000_000 + attoseconds / 1_000_000_000))
    }
}
