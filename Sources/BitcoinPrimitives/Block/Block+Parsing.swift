extension Block {
    /// The smallest serialized transaction the parser accepts (one input, no outputs).
    private static let minimumTransactionSize = 51

    /// Parses a serialized block and checks it (``validate()``). Throws ``ParseError`` on any
    /// bad byte: truncation, trailing bytes, a transaction that does not parse, and every
    /// failure ``validate()`` reports.
    public init(bytes: [UInt8]) throws(ParseError) {
        var reader = ByteReader(bytes)
        let header = try BlockHeader.parse(from: &reader)
        let count = try reader.readLength(minimumItemSize: Self.minimumTransactionSize)
        var transactions: [Transaction] = []
        transactions.reserveCapacity(count)
        for index in 0..<count {
            let offset = reader.offset
            do {
                transactions.append(try Transaction.parse(from: &reader))
            } catch {
                throw .invalid("transaction \(index) at byte \(offset): \(error)")
            }
        }
        try reader.expectEnd()
        self.init(header: header, transactions: transactions)
        try validate()
    }

    /// Parses a hex-encoded block (as Bitcoin Core's `getblock HASH 0` answers).
    public init(hex: String) throws(ParseError) {
        guard let bytes = [UInt8](hex: hex) else { throw .invalid("not hex") }
        try self.init(bytes: bytes)
    }

    /// Checks what a block's own bytes must satisfy (Bitcoin Core's `CheckBlock` and
    /// `CheckWitnessMalleation`), without the chain's context:
    /// - the header's proof of work meets its own `bits` (``BlockHeader/hasValidProofOfWork``);
    /// - at least one transaction, the first a coinbase (scriptSig of 2 to 100 bytes), no other;
    /// - the header's merkle root is that of the txids, and the tree is not mutated;
    /// - with a witness commitment in the coinbase, the coinbase's witness is one 32-byte item
    ///   and the commitment matches; without one, no transaction has a witness;
    /// - weight at most ``maximumWeight``.
    public func validate() throws(ParseError) {
        guard header.hasValidProofOfWork else {
            throw .invalid("block \(hash) does not meet its own proof-of-work target (bits \(header.bits))")
        }
        guard let coinbase = transactions.first else { throw .invalid("block has no transactions") }
        guard coinbase.isCoinbase else { throw .invalid("the first transaction is not a coinbase") }
        guard (2...100).contains(coinbase.inputs[0].scriptSig.count) else {
            throw .invalid("coinbase scriptSig is \(coinbase.inputs[0].scriptSig.count) bytes, not 2 to 100")
        }
        if let index = transactions.dropFirst().firstIndex(where: { $0.inputs.contains { $0.previousOutput.isNull } }) {
            throw .invalid("transaction \(index) spends the null outpoint: a second coinbase")
        }
        let (root, mutated) = computedMerkleRoot()
        guard !mutated else { throw .invalid("merkle tree is mutated (duplicate transactions)") }
        guard root == header.merkleRoot else {
            throw .invalid("merkle root \(header.merkleRoot) does not match the transactions' \(root ?? .zero)")
        }
        try checkWitnessCommitment(coinbase)
        let weight = transactions.reduce(
            BlockHeader.size * 4 + 4 * ByteWriter.compactSizeLength(UInt64(transactions.count))
        ) {
            $0 + $1.weight
        }
        guard weight <= Self.maximumWeight else {
            throw .invalid("block weight \(weight) is above \(Self.maximumWeight)")
        }
    }

    private func checkWitnessCommitment(_ coinbase: Transaction) throws(ParseError) {
        guard let commitment = WitnessCommitment.commitment(in: coinbase) else {
            if let index = transactions.firstIndex(where: \.hasWitness) {
                throw .invalid("transaction \(index) has a witness but the block has no witness commitment")
            }
            return
        }
        let witness = coinbase.inputs[0].witness
        guard witness.count == 1, witness[0].count == 32 else {
            throw .invalid("coinbase witness is not one 32-byte reserved value")
        }
        guard WitnessCommitment.commitment(of: transactions, reservedValue: witness[0]) == commitment else {
            throw .invalid("witness commitment does not match the transactions' witnesses")
        }
    }
}
