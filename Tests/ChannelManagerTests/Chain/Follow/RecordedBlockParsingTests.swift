import BitcoinPrimitives
import Testing

/// ``Block`` on real segwit blocks from Bitcoin Core's regtest (``RecordedReorg``): they parse
/// and re-serialize exactly, and every tampering a witness commitment or merkle root exists to
/// catch is refused.
@Suite("Block on recorded regtest blocks")
struct RecordedBlockParsingTests {
    let recording: RecordedReorg
    /// The block holding the settlement: a coinbase with a witness commitment, and S.
    let settlementBlock: Block

    init() throws {
        recording = try RecordedReorg.load()
        settlementBlock = try #require(recording.blocks[recording.settlementBlock]?.block)
    }

    /// `block` with a merkle root made to fit its transactions and a nonce meeting regtest's
    /// bits: only the check under test can refuse it.
    func resealed(_ block: Block) -> Block {
        var block = block
        block.header.merkleRoot = MerkleTree.root(of: block.transactions.map(\.txid)).root ?? .zero
        while !block.header.hasValidProofOfWork { block.header.nonce &+= 1 }
        return block
    }

    @Test("every recorded block re-serializes to its bytes; the settlement block commits to its witnesses")
    func roundTrip() throws {
        #expect(recording.blocks.count == 109)
        for (hash, entry) in recording.blocks {
            #expect(try Block(bytes: entry.block.serialized) == entry.block, "block \(hash)")
        }
        #expect(
            settlementBlock.transactions.map(\.txid) == [
                settlementBlock.transactions[0].txid, recording.settlement.txid,
            ])
        #expect(WitnessCommitment.commitment(in: settlementBlock.transactions[0]) != nil)
        #expect(settlementBlock.transactions[1].hasWitness)
    }

    @Test("a changed witness is refused by the commitment alone (the txids and merkle root do not change)")
    func changedWitness() throws {
        var block = settlementBlock
        block.transactions[1].inputs[0].witness = [[0x51], [0x00]]
        #expect(block.computedMerkleRoot().root == block.header.merkleRoot)
        #expect(throws: ParseError.self) { try Block(bytes: block.serialized) }
        block.transactions[1].inputs[0].witness = []
        #expect(throws: ParseError.self) { try Block(bytes: block.serialized) }
    }

    @Test("a witness without a commitment, or a coinbase witness of the wrong shape, is refused")
    func commitmentShape() throws {
        var dropped = settlementBlock
        dropped.transactions[0].outputs.removeAll { $0.scriptPubKey.bytes.starts(with: WitnessCommitment.scriptPrefix) }
        dropped.transactions[0].inputs[0].witness = []
        #expect(throws: ParseError.invalid("transaction 1 has a witness but the block has no witness commitment")) {
            try Block(bytes: resealed(dropped).serialized)
        }
        // Without the segwit spend, the same block is fine.
        dropped.transactions.removeLast()
        #expect(throws: Never.self) { try Block(bytes: resealed(dropped).serialized) }

        var longReserved = settlementBlock
        longReserved.transactions[0].inputs[0].witness = [[UInt8](repeating: 0, count: 33)]
        #expect(throws: ParseError.invalid("coinbase witness is not one 32-byte reserved value")) {
            try Block(bytes: resealed(longReserved).serialized)
        }
    }

    @Test("a duplicated last transaction keeps both merkle roots but is refused as mutated (CVE-2012-2459)")
    func mutatedMerkleTree() throws {
        // A third transaction (the funding, its witness dropped), so that the count is odd.
        var funding = try #require(recording.blocks.values.first { $0.height == 102 }?.block.transactions.last)
        funding.inputs[0].witness = []
        var block = settlementBlock
        block.transactions.append(funding)
        let commitment = WitnessCommitment.commitment(
            of: block.transactions, reservedValue: block.transactions[0].inputs[0].witness[0])
        let index = try #require(
            block.transactions[0].outputs.lastIndex {
                $0.scriptPubKey.bytes.starts(with: WitnessCommitment.scriptPrefix)
            })
        block.transactions[0].outputs[index].scriptPubKey = WitnessCommitment.script(committing: commitment)
        block = resealed(block)
        #expect(throws: Never.self) { try Block(bytes: block.serialized) }

        block.transactions.append(funding)
        #expect(block.computedMerkleRoot().root == block.header.merkleRoot)
        #expect(throws: ParseError.invalid("merkle tree is mutated (duplicate transactions)")) {
            try Block(bytes: block.serialized)
        }
    }

    @Test("no coinbase first, a second coinbase, a bad coinbase scriptSig, a wrong merkle root, no proof of work")
    func structure() throws {
        var swapped = settlementBlock
        swapped.transactions.swapAt(0, 1)
        #expect(throws: ParseError.invalid("the first transaction is not a coinbase")) {
            try Block(bytes: resealed(swapped).serialized)
        }
        var twoCoinbases = settlementBlock
        twoCoinbases.transactions[1].inputs[0].previousOutput = .null
        #expect(throws: ParseError.self) { try Block(bytes: resealed(twoCoinbases).serialized) }
        var shortScript = settlementBlock
        shortScript.transactions[0].inputs[0].scriptSig = Script(bytes: [0x51])
        #expect(throws: ParseError.invalid("coinbase scriptSig is 1 bytes, not 2 to 100")) {
            try Block(bytes: resealed(shortScript).serialized)
        }
        var wrongRoot = settlementBlock
        wrongRoot.header.merkleRoot = recording.fundingTxid
        while !wrongRoot.header.hasValidProofOfWork { wrongRoot.header.nonce &+= 1 }
        #expect(throws: ParseError.self) { try Block(bytes: wrongRoot.serialized) }
        var noWork = settlementBlock
        while noWork.header.hasValidProofOfWork { noWork.header.nonce &+= 1 }
        #expect(throws: ParseError.self) { try Block(bytes: noWork.serialized) }
        #expect(throws: ParseError.self) { try Block(bytes: Array(settlementBlock.header.serialized)) }
    }
}
