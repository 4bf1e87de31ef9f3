import ArgumentParser
import ChannelManager
import ChannelTCP
import Logging
import ServiceLifecycle

/// `paychan server`'s shutdown options.
struct ShutdownOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Seconds SIGTERM or Ctrl-C leaves the server to stop in order before it exits anyway (a second signal exits at once).",
            valueName: "seconds"))
    var shutdownGrace: Double = 10

    /// The grace period, checked.
    func grace() throws(CommandFailure) -> Duration {
        guard (0.1...3_600).contains(shutdownGrace) else {
            throw CommandFailure("--shutdown-grace must be between 0.1 and 3600 seconds, not \(shutdownGrace)")
        }
        return .milliseconds(Int64(shutdownGrace * 1_000))
    }
}

/// A running server's parts as swift-service-lifecycle services in one `ServiceGroup`, which
/// stops them in the reverse of their order on SIGTERM or SIGINT: the listener (it stops
/// accepting and closes the connections; every acknowledged payment is durable already), the
/// manager (it waits for every session to end and for their writes), the chain backend and its
/// follower, the store (it commits what is queued, then closes), and last the metrics
/// endpoint. Each part is opened before the group runs, so that a failure to open it exits with
/// the program's usual status and message; the group owns their stopping.
struct ServerLifecycle {
    let listener: ChannelTCPServer
    let manager: ServerManager
    let closeClaims: @Sendable () -> Void
    let chain: FollowedChain
    let store: OpenedStore
    let operations: OperationsHTTPServer?
    let signals: ShutdownSignals
    let logger: Logger

    /// Runs until a signal (returns once everything stopped in order, within `grace`) or until a
    /// shared store fails (throws, exit status 3).
    func run(grace: Duration) async throws(CommandFailure) {
        let signals = self.signals
        let (listener, manager, closeClaims, chain, store, operations, logger) = (
            self.listener, self.manager, self.closeClaims, self.chain, self.store, self.operations, self.logger
        )
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        func add(_ service: any Service, _ name: String) {
            services.append(
                .init(
                    service: service, successTerminationBehavior: .gracefullyShutdownGroup,
                    failureTerminationBehavior: .gracefullyShutdownGroup, serviceName: name))
        }
        if let operations { add(StopOnShutdown { await operations.stop() }, "metrics") }
        add(StopOnShutdown { await store.close() }, "store")
        if store.postgres != nil { add(StoreFailureWatch(store: store.store, logger: logger), "store-watch") }
        add(
            StopOnShutdown {
                if chain.follower != nil {
                    let requests = chain.requestsSent
                    logger.info(
                        "bitcoind requests: \(requests.backend) by the managers and wallet, \(requests.follower) by the follower"
                    )
                }
                await chain.close()
            }, "chain")
        add(
            StopOnShutdown {
                await manager.shutdown()
                closeClaims()
            }, "manager")
        add(
            StopOnShutdown {
                logger.info("stopping: no new connections; open channels stay stored")
                await listener.stop()
            }, "listener")
        var configuration = ServiceGroupConfiguration(services: services, logger: logger)
        configuration.maximumGracefulShutdownDuration = grace
        let group = ServiceGroup(configuration: configuration)
        signals.onFirstSignal { Task { await group.triggerGracefulShutdown() } }
        do {
            try await group.run()
        } catch let failure as StoreFailed {
            throw CommandFailure("the store failed: \(failure.error); start the node again", exitCode: 3)
        } catch {
            throw CommandFailure("stopped on an error: \(error)")
        }
        logger.info("stopped")
    }
}

/// A part that runs until the group shuts it down (or is cancelled), then stops.
private struct StopOnShutdown: Service {
    let stop: @Sendable () async -> Void

    func run() async throws {
        try? await gracefulShutdown()
        await stop()
    }
}

/// Watches a shared store: when it fails, the whole group stops and the program exits 3.
private struct StoreFailureWatch: Service {
    let store: any ChannelStore
    let logger: Logger

    func run() async throws {
        let store = self.store
        // Cancelled on shutdown, the watch returns nil.
        guard let failure = await cancelWhenGracefulShutdown({ await StoreWatch.waitForFailure(of: store) }) else {
            return
        }
        logger.error("the store failed (\(failure)): stopping")
        throw StoreFailed(error: failure)
    }
}

/// The shared store failed.
private struct StoreFailed: Error {
    let error: StoreError
}
