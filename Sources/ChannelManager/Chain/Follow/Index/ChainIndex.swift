import BitcoinPrimitives

/// A transaction spending a watched outpoint, and the block it is in.
public struct ChainSpend: Sendable, Hashable {
    /// The spending transaction (a settlement, a refund, a wallet spend).
    public let transaction: Transaction
    /// The spending transaction's txid.
    public let txid: Hash256
    /// Its block on the followed chain.
    public let block: BlockPosition

    /// A spend by `transaction` in `block`.
    public init(transaction: Transaction, block: BlockPosition) {
        self.init(transaction: transaction, txid: transaction.txid, block: block)
    }

    /// With the txid already computed.
    init(transaction: Transaction, txid: Hash256, block: BlockPosition) {
        self.transaction = transaction
        self.txid = txid
        self.block = block
    }
}

/// An outpoint the follower watches, and its spend if a block of the followed chain has one.
public struct WatchedOutpoint: Sendable, Hashable {
    /// The watched outpoint.
    public var outpoint: OutPoint
    /// Its spend on the followed chain, once a block has one.
    public var spend: ChainSpend?

    /// A watch of `outpoint`, spent by `spend` if known.
    public init(outpoint: OutPoint, spend: ChainSpend? = nil) {
        self.outpoint = outpoint
        self.spend = spend
    }
}

/// A transaction the follower watches for confirmation.
public struct WatchedTransaction: Sendable, Hashable {
    /// The watched transaction's txid.
    public var txid: Hash256
    /// The transaction, when it is ours: rebroadcast if a reorg takes it off the chain.
    public var ownTransaction: Transaction?
    /// Its block on the followed chain, if any.
    public var block: BlockPosition?
    /// A reorg took it off the chain and no block has it again: to be rebroadcast (only ours).
    public var leftChain: Bool

    /// A watch of `txid` (with the transaction itself when it is ours).
    public init(txid: Hash256, ownTransaction: Transaction? = nil, block: BlockPosition? = nil, leftChain: Bool = false)
    {
        self.txid = txid
        self.ownTransaction = ownTransaction
        self.block = block
        self.leftChain = leftChain
    }
}

/// The chain follower's durable index: its cursor and what the managers watch (contract
/// outpoints and who spends them, settlements, refunds and contracts and where they are
/// confirmed, wallet scripts). It is small: a few rows per channel.
///
/// Every ``ChannelStore`` keeps one, changed by ``StoreWrite/chainIndex(_:)`` writes and read
/// whole with ``ChainIndexStore/chainIndex()``; each applies the writes by ``apply(_:)``'s rules.
public struct ChainIndex: Sendable, Hashable {
    /// The last block the follower connected; `nil` before the first.
    public var cursor: BlockPosition?
    /// The watched outpoints, by outpoint.
    public var outpoints: [OutPoint: WatchedOutpoint]
    /// The watched transactions, by txid.
    public var transactions: [Hash256: WatchedTransaction]
    /// The output scripts whose payments are looked for in every block (the wallet's).
    public var scripts: Set<Script>

    /// An index of these watches at `cursor`.
    public init(
        cursor: BlockPosition? = nil, outpoints: [OutPoint: WatchedOutpoint] = [:],
        transactions: [Hash256: WatchedTransaction] = [:], scripts: Set<Script> = []
    ) {
        self.cursor = cursor
        self.outpoints = outpoints
        self.transactions = transactions
        self.scripts = scripts
    }

    /// Applies one update. The rules every store follows:
    /// - `.cursor` replaces the cursor;
    /// - `.watchOutpoint`, `.watchScript` add what is not watched yet (a watched outpoint keeps
    ///   its spend);
    /// - `.watchTransaction` adds a transaction not watched yet; for one watched already, a
    ///   given `own` transaction is set (its block and flag are kept);
    /// - `.outpointSpend` and `.transactionBlock` replace the spend or block (and flag) of a
    ///   watched item.
    ///
    /// Refused with `.inconsistent`, changing nothing: a negative height, an `own` transaction
    /// whose txid is not the one named, `.outpointSpend` of an outpoint not watched,
    /// `.transactionBlock` of a transaction not watched.
    public mutating func apply(_ update: ChainIndexUpdate) throws(StoreError) {
        switch update {
        case .cursor(let position):
            try Self.checkHeight(position)
            cursor = position
        case .watchOutpoint(let outpoint):
            if outpoints[outpoint] == nil { outpoints[outpoint] = WatchedOutpoint(outpoint: outpoint) }
        case .watchTransaction(let txid, let own):
            if let own { try Self.checkOwn(own, txid) }
            if var watched = transactions[txid] {
                if let own { watched.ownTransaction = own }
                transactions[txid] = watched
            } else {
                transactions[txid] = WatchedTransaction(txid: txid, ownTransaction: own)
            }
        case .watchScript(let script):
            scripts.insert(script)
        case .outpointSpend(let outpoint, let spend):
            if let spend { try Self.checkHeight(spend.block) }
            guard outpoints[outpoint] != nil else { throw Self.notWatched("outpoint \(outpoint)") }
            outpoints[outpoint]?.spend = spend
        case .transactionBlock(let txid, let block, let leftChain):
            if let block { try Self.checkHeight(block) }
            guard transactions[txid] != nil else { throw Self.notWatched("transaction \(txid.displayHex)") }
            transactions[txid]?.block = block
            transactions[txid]?.leftChain = leftChain
        }
    }

    /// Refuses a negative height (`.inconsistent`).
    public static func checkHeight(_ position: BlockPosition) throws(StoreError) {
        guard position.height >= 0 else {
            throw StoreError(.inconsistent, "block height \(position.height) is negative")
        }
    }

    /// Refuses an own transaction whose txid is not the one named (`.inconsistent`).
    public static func checkOwn(_ transaction: Transaction, _ txid: Hash256) throws(StoreError) {
        guard transaction.txid == txid else {
            throw StoreError(
                .inconsistent, "watched transaction \(txid.displayHex) given as \(transaction.txid.displayHex)")
        }
    }

    /// The refusal of an update to an item not watched (`.inconsistent`).
    public static func notWatched(_ what: String) -> StoreError {
        StoreError(.inconsistent, "\(what) is not watched")
    }
}
