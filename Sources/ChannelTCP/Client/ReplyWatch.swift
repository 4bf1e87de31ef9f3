import ChannelManager
import NIOCore
import Synchronization

/// Since when a client connection has been waiting for the server's answer: from the first
/// message sent after the last one received, and again from each message received while more
/// answers are due. ``ClientConnectionHandler`` times the wait out.
final class ReplyWatch: Sendable {
    private let since = Mutex<NIODeadline?>(nil)

    /// A message was queued for the server.
    func sent() {
        since.withLock { since in
            if since == nil { since = .now() }
        }
    }

    /// A message from the server was handled by `session`.
    func received(by session: ClientSession) {
        // Decided under the lock so that a payment sent meanwhile is not forgotten.
        since.withLock { since in since = session.isAwaitingReply ? .now() : nil }
    }

    /// When the current wait began, if the session waits for an answer.
    var waitingSince: NIODeadline? { since.withLock { $0 } }
}
