import ChannelManager
import NIOCore

/// Committing on a SwiftNIO event loop.
extension SQLiteChannelStore.Committer {
    /// Commits run on `eventLoop`, after the turn that wrote them.
    ///
    /// Use the loop the store's connections run on (a one-thread group's only loop, or the
    /// loop passed as the group): a message read in a turn is verified, its write queued, and
    /// the commit, the sync and the reply all happen on that thread once the turn's other
    /// messages are read, so one sync serves them all and no thread is woken in between.
    /// The loop is blocked for each sync (about 0.1 ms on a local SSD), so other connections
    /// on it wait meanwhile. Close the store before shutting the loop down.
    public static func eventLoop(_ eventLoop: any EventLoop) -> Self {
        .scheduled { work in eventLoop.execute(work) }
    }
}
