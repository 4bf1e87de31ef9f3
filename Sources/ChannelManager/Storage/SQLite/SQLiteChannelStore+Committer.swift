extension SQLiteChannelStore {
    /// Where a store's commits run.
    ///
    /// Every commit syncs the file, so whichever thread runs it blocks for the sync. With
    /// ``dedicatedThread`` that is a thread of the store's own: ``SQLiteChannelStore/enqueue(_:)``
    /// wakes it, and a durable write's waiters are called back from it. With
    /// ``scheduled(_:)`` the store's owner supplies the thread, typically the event loop its
    /// connections run on: a run scheduled from that loop starts after the loop's current
    /// turn, so it commits everything the turn's messages wrote in one transaction, and the
    /// replies go out from the same thread. No thread is woken on the way from a message to
    /// its reply, which is what makes a lone channel's round trip short.
    public struct Committer: Sendable {
        enum Kind: Sendable {
            case dedicatedThread
            case scheduled(@Sendable (@escaping @Sendable () -> Void) -> Void)
        }

        let kind: Kind

        /// A thread of the store's own runs every commit (the default).
        public static let dedicatedThread = Committer(kind: .dedicatedThread)

        /// Commits run as work passed to `schedule`, which must run it soon, once, on any
        /// thread that may block for a sync, and must keep doing so until the store is closed
        /// (close the store before shutting down what runs the work). The store schedules at
        /// most one run at a time; each commits everything queued when it starts, and calls
        /// back every waiter right after the commit, on the same thread. Nothing waiting on
        /// that thread for durability may block it (a run needs it to finish).
        public static func scheduled(_ schedule: @escaping @Sendable (@escaping @Sendable () -> Void) -> Void)
            -> Committer
        {
            Committer(kind: .scheduled(schedule))
        }
    }
}
