import BitcoinPrimitives
import ChannelManager
import Logging
import Synchronization

/// The managers' ``ChannelManager/ChainBackend`` on a Bitcoin Core node, over JSON-RPC.
///
/// It needs no `-txindex`. Mempool questions and unspent outputs are the node's to answer
/// (`getmempoolentry`, `getrawtransaction` of mempool transactions, `gettxspendingprevout`,
/// `gettxout`); confirmed history (a transaction mined and spent since, the spender of a
/// spent output) comes from a ``ChannelManager/ConfirmedHistory`` (a block index kept by a
/// chain follower) once one is attached with ``attach(history:)``. Without one such questions
/// are answered only as far as the node can: see ``status(of:)`` and ``spender(of:)``.
///
/// Broadcasts map Core's refusals to ``ChannelManager/ChainError`` kinds (``BroadcastOutcome``).
/// Fee rates come from `estimatesmartfee`, never below the node's minimum relay and mempool
/// fees, and from ``Configuration/fallbackFeeRate`` where the node has no estimate (regtest).
public final class BitcoinCoreChain: ChainBackend {
    /// The backend's settings.
    public struct Configuration: Sendable, Hashable {
        /// The network the node must follow.
        public var network: Network
        /// The fee rate used where `estimatesmartfee` has no estimate.
        public var fallbackFeeRate: FeeRate
        /// `estimatesmartfee`'s mode: `conservative` or `economical`.
        public var estimateMode: String

        /// The default fallback: 2 sat/vB.
        public static let defaultFallbackFeeRate =
            (try? FeeRate(satoshisPerVirtualByte: 2)) ?? FeeRate.defaultMinimumRelayFee

        /// Settings for `network`, falling back to `fallbackFeeRate` (default 2 sat/vB).
        public init(
            network: Network, fallbackFeeRate: FeeRate = Configuration.defaultFallbackFeeRate,
            estimateMode: String = "conservative"
        ) {
            self.network = network
            self.fallbackFeeRate = fallbackFeeRate
            self.estimateMode = estimateMode
        }
    }

    /// The node's client.
    public let rpc: BitcoinCoreRPC
    /// The backend's settings.
    public let configuration: Configuration
    private let history = Mutex<(any ConfirmedHistory)?>(nil)

    /// A backend over `rpc`; call ``checkNode()`` (or ``waitForNode(timeout:logger:)``) before use.
    public init(rpc: BitcoinCoreRPC, configuration: Configuration, history: (any ConfirmedHistory)? = nil) {
        self.rpc = rpc
        self.configuration = configuration
        self.history.withLock { $0 = history }
    }

    /// Attaches the block index that answers confirmed-history questions.
    public func attach(history: any ConfirmedHistory) {
        self.history.withLock { $0 = history }
    }

    /// The attached block index, if any.
    var confirmedHistory: (any ConfirmedHistory)? { history.withLock { $0 } }

    // MARK: Start

    /// Asks the node what it is (`getblockchaininfo`, `getnetworkinfo`, one batch) and checks
    /// that it follows ``Configuration/network``.
    public func checkNode() async throws(BitcoinCoreStartError) -> NodeInfo {
        let outcomes: [Result<JSONValue, RPCError>]
        do {
            outcomes = try await rpc.batch([RPCCall("getblockchaininfo"), RPCCall("getnetworkinfo")])
        } catch {
            throw Self.startError(error)
        }
        do {
            let chainInfo = try outcomes[0].get()
            let networkInfo = try outcomes[1].get()
            let chain = try chainInfo.member("chain").string()
            guard let network = CoreChainName.network(chain), network == configuration.network else {
                throw BitcoinCoreStartError.wrongNetwork(expected: configuration.network, nodeChain: chain)
            }
            return NodeInfo(
                chain: chain, network: network, blocks: try chainInfo.member("blocks").integer(),
                initialBlockDownload: try chainInfo.member("initialblockdownload").bool(),
                subversion: try networkInfo.member("subversion").string())
        } catch let error as BitcoinCoreStartError {
            throw error
        } catch let error as RPCError {
            throw Self.startError(error)
        } catch {
            throw .unreachable("\(error)")
        }
    }

    /// ``checkNode()``, tried again (logging each failure) while the node cannot be reached,
    /// for up to `timeout` in all. A wrong network or refused credentials fail at once.
    public func waitForNode(timeout: Duration, logger: Logger) async throws(BitcoinCoreStartError) -> NodeInfo {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        var delay = Duration.milliseconds(250)
        while true {
            let outcome = await checkNode(before: deadline)
            guard case .failure(let error) = outcome else { return try outcome.get() }
            guard case .unreachable(let reason) = error, clock.now.advanced(by: delay) < deadline else { throw error }
            logger.warning("bitcoind at \(rpc.configuration.url) not ready (\(reason)); trying again in \(delay)")
            do { try await Task.sleep(for: delay) } catch { throw .unreachable("cancelled") }
            delay = min(delay * 2, .seconds(5))
        }
    }

    /// ``checkNode()``, given up (as unreachable) at `deadline`.
    private func checkNode(before deadline: ContinuousClock.Instant) async -> Result<NodeInfo, BitcoinCoreStartError> {
        await withTaskGroup(of: Result<NodeInfo, BitcoinCoreStartError>?.self) { group in
            group.addTask {
                do throws(BitcoinCoreStartError) { return .success(try await self.checkNode()) } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                try? await Task.sleep(until: deadline, clock: ContinuousClock())
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? .failure(.unreachable("no answer before the deadline"))
        }
    }

    private static func startError(_ error: RPCError) -> BitcoinCoreStartError {
        switch error {
        case .unavailable(let reason) where reason.contains("HTTP 401"): return .unauthorized(reason)
        default: return .unreachable(error.description)
        }
    }

    // MARK: ChainBackend

    /// Sends `transaction` with `sendrawtransaction`, mapping Core's answer (``BroadcastOutcome``).
    public func broadcast(_ transaction: Transaction) async throws(ChainError) {
        let answer: JSONValue
        do {
            answer = try await rpc.call("sendrawtransaction", [.string(transaction.serialized.hex)])
        } catch {
            switch BroadcastOutcome(error) {
            case .accepted: return
            case .refused(let kind, let reason): throw ChainError(kind, reason)
            case .missingInputs(let reason): throw await missingInputsError(transaction, reason)
            }
        }
        let txid: Hash256
        do throws(RPCError) { txid = try Self.hash(answer, "sendrawtransaction") } catch { throw error.chainError }
        guard txid == transaction.txid else {
            throw ChainError(.unavailable, "the node accepted \(txid) when sent \(transaction.txid)")
        }
    }

    /// `.doubleSpend` when the block index knows an input's spender, `.rejected` otherwise.
    private func missingInputsError(_ transaction: Transaction, _ reason: String) async -> ChainError {
        if let history = confirmedHistory {
            for (index, input) in transaction.inputs.enumerated() {
                if let spender = try? await history.confirmedSpender(of: input.previousOutput) {
                    return ChainError(.doubleSpend, "input \(index) is spent in a block by \(spender) (\(reason))")
                }
            }
        }
        return ChainError(.rejected, "inputs missing or spent (\(reason))")
    }

    /// The median time past of the node's tip (`getblockchaininfo.mediantime`).
    public func lockTimeReference() async throws(ChainError) -> UInt64 {
        do throws(RPCError) {
            let info = try await rpc.call("getblockchaininfo")
            let time = try info.member("mediantime").integer()
            guard time >= 0 else { throw RPCError.unavailable("a negative median time past \(time)") }
            return UInt64(time)
        } catch {
            throw error.chainError
        }
    }

    /// A txid the node answered.
    static func hash(_ value: JSONValue, _ what: String) throws(RPCError) -> Hash256 {
        guard case .string(let hex) = value, let hash = Hash256(displayHex: hex) else {
            throw .unavailable("\(what) answered \(value.summary), not a hash")
        }
        return hash
    }
}
