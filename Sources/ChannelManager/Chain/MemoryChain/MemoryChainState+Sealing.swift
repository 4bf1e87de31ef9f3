import BitcoinPrimitives

extension MemoryChainState {
    /// Regtest's proof-of-work limit: the `bits` of every block.
    static let regtestBits: UInt32 = 0x207f_ffff

    /// Finishes a block of `transactions` (txids `txids`) at `height` on top of the tip (nothing
    /// for the genesis block): a real header with the merkle root, the previous block's hash, the
    /// timestamp, regtest's `bits` and a nonce meeting them (two tries on average).
    ///
    /// A real block starts with a coinbase. A funding block has its own; any other block gets a
    /// placeholder: a coinbase paying nothing (an `OP_RETURN`), with a witness commitment when a
    /// transaction has a witness. It is part of the block ``MemoryChain`` serves as a
    /// ``BlockSource`` and of the merkle root, but not of the chain's transactions (it is not in
    /// ``MemoryChain/Block/txids``, nor in ``MemoryChain/history``, and spends or pays nothing
    /// anyone can use).
    func sealedBlock(height: Int, timestamp: UInt64, transactions: [Transaction], txids: [Hash256])
        -> MemoryChain.Block
    {
        let previous = blocks.last?.hash ?? .zero
        var leaves = txids
        var placeholder: Transaction?
        if transactions.first?.isCoinbase != true {
            let coinbase = Self.placeholderCoinbase(height: height, transactions: transactions)
            placeholder = coinbase
            leaves.insert(coinbase.txid, at: 0)
        }
        var header = BlockHeader(
            version: 0x2000_0000, previousBlockHash: previous, merkleRoot: MerkleTree.root(of: leaves).root ?? .zero,
            time: UInt32(clamping: timestamp), bits: Self.regtestBits, nonce: 0)
        while !header.hasValidProofOfWork { header.nonce &+= 1 }
        return MemoryChain.Block(
            height: height, timestamp: timestamp, txids: txids, header: header, hash: header.hash,
            placeholderCoinbase: placeholder)
    }

    /// The coinbase of a block without one of its own: the height and a tag in its scriptSig,
    /// one `OP_RETURN` output of nothing, and the witness commitment of `transactions` (with a
    /// zero reserved value) if any of them has a witness.
    static func placeholderCoinbase(height: Int, transactions: [Transaction]) -> Transaction {
        var scriptSig = ScriptBuilder()
        scriptSig.push(number: Int64(height))
        scriptSig.push(Array("MemoryChain".utf8))
        var coinbase = Transaction(
            version: 2, inputs: [TransactionInput(previousOutput: .null, scriptSig: scriptSig.script)],
            outputs: [TransactionOutput(value: .zero, scriptPubKey: .nullData())], lockTime: 0)
        if transactions.contains(where: \.hasWitness) {
            let reserved = [UInt8](repeating: 0, count: 32)
            let commitment = WitnessCommitment.commitment(of: [coinbase] + transactions, reservedValue: reserved)
            coinbase.outputs.append(
                TransactionOutput(value: .zero, scriptPubKey: WitnessCommitment.script(committing: commitment)))
            coinbase.inputs[0].witness = [reserved]
        }
        return coinbase
    }
}
