import NIOCore

/// A task executor that runs jobs on one event loop.
///
/// A task that prefers it (`Task(executorPreference:)`, `withTaskExecutorPreference(_:_:)`)
/// runs its nonisolated code on the loop's thread. Paying from the event loop a connection
/// runs on saves a thread wake-up each way: the payment goes out from the thread that signed
/// it, and the task resumes on the thread that read the acknowledgement.
///
/// ```swift
/// let loop = group.next()
/// var configuration = ChannelTCPClient.Configuration(eventLoopGroup: loop)
/// let session = try await ChannelTCPClient.connect(
///     host: host, port: port, clientManager: manager, configuration: configuration)
/// try await withTaskExecutorPreference(EventLoopTaskExecutor(loop)) {
///     for _ in 0..<1000 { try await session.pay(amount) }
/// }
/// ```
///
/// Work done in such a task holds up every connection on the loop meanwhile: keep to short,
/// non-blocking work there.
public final class EventLoopTaskExecutor: TaskExecutor {
    /// The loop jobs run on.
    public let eventLoop: any EventLoop

    /// An executor running jobs on `eventLoop`.
    public init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Runs `job` on the event loop: right after the loop's current work when called from the
    /// loop itself, else by waking it.
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
