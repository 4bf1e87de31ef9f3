import BitcoinPrimitives
import Testing

/// Blocks and headers: Bitcoin's mainnet genesis block, and every way a block's bytes can be bad.
@Suite("Block")
struct BlockTests {
    /// The mainnet genesis block, as Bitcoin Core serializes it (`getblock <hash> 0`).
    static let genesisHex =
        "0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c"
        + "0101000000010000000000000000000000000000000000000000000000000000000000000000ffffffff4d04ffff001d0104455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e206272696e6b206f66207365636f6e64206261696c6f757420666f722062616e6b73ffffffff0100f2052a01000000434104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac00000000"

    @Test("the mainnet genesis block parses, hashes and checks")
    func genesis() throws {
        let block = try Block(hex: Self.genesisHex)
        #expect(block.hash.displayHex == "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f")
        #expect(
            block.header.merkleRoot.displayHex == "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b")
        #expect(block.header.previousBlockHash == .zero)
        #expect(block.header.time == 1_231_006_505)
        #expect(block.header.bits == 0x1d00_ffff)
        #expect(block.header.nonce == 2_083_236_893)
        #expect(block.header.version == 1)
        #expect(block.transactions.count == 1)
        #expect(block.transactions[0].isCoinbase)
        #expect(block.transactions[0].txid == block.header.merkleRoot)
        #expect(block.serialized.hex == Self.genesisHex)
        #expect(try BlockHeader(bytes: Array(block.serialized.prefix(80))) == block.header)
        #expect(block.header.hasValidProofOfWork)
    }

    @Test("compact targets decode as Bitcoin Core's SetCompact, refusing negative, zero and overflowing ones")
    func compactTargets() throws {
        let mainnet = try #require(CompactTarget(bits: 0x1d00_ffff))
        #expect(mainnet.bigEndianBytes.hex == "00000000ffff0000000000000000000000000000000000000000000000000000")
        let regtest = try #require(CompactTarget(bits: 0x207f_ffff))
        #expect(regtest.bigEndianBytes.hex == "7fffff0000000000000000000000000000000000000000000000000000000000")
        // A small exponent shifts mantissa bytes out: 0x03123456 is 0x123456, 0x02123456 is 0x1234.
        #expect(CompactTarget(bits: 0x0312_3456)?.bigEndianBytes.suffix(3) == [0x12, 0x34, 0x56])
        #expect(CompactTarget(bits: 0x0212_3456)?.bigEndianBytes.suffix(3) == [0x00, 0x12, 0x34])
        #expect(CompactTarget(bits: 0x2100_00ff)?.bigEndianBytes.prefix(2) == [0x00, 0xff])
        // The largest: 0xff in the top byte.
        #expect(CompactTarget(bits: 0x2200_00ff)?.bigEndianBytes.first == 0xff)
        for bits: UInt32 in [
            0, 0x1d80_ffff, 0x0100_0012, 0x2101_0000, 0x2200_0100, 0x2300_00ff, 0xff7f_ffff, 0x0480_0001,
        ] {
            #expect(CompactTarget(bits: bits) == nil, "bits \(String(bits, radix: 16))")
        }
        // The genesis hash meets its own target, not a target 2^32 times harder.
        let genesis = try Block(hex: Self.genesisHex)
        #expect(mainnet.isMet(by: genesis.hash))
        #expect(CompactTarget(bits: 0x1900_ffff)?.isMet(by: genesis.hash) == false)
    }

    @Test("a header of another length, and bad hex, are refused")
    func headerLengths() throws {
        let bytes = try Block(hex: Self.genesisHex).header.serialized
        #expect(throws: ParseError.self) { try BlockHeader(bytes: Array(bytes.prefix(79))) }
        #expect(throws: ParseError.trailingBytes(count: 1)) { try BlockHeader(bytes: bytes + [0]) }
        #expect(throws: ParseError.self) { try BlockHeader(hex: "zz") }
        #expect(throws: ParseError.self) { try Block(hex: "0") }
    }

    @Test("every truncation of the genesis block, and a trailing byte, is a ParseError")
    func truncations() throws {
        let bytes = try #require([UInt8](hex: Self.genesisHex))
        for length in 0..<bytes.count {
            #expect(throws: ParseError.self) { try Block(bytes: Array(bytes.prefix(length))) }
        }
        #expect(throws: ParseError.self) { try Block(bytes: bytes + [0]) }
    }

    @Test("a changed byte anywhere in the genesis block is refused or changes the hash")
    func everyByteMatters() throws {
        let bytes = try #require([UInt8](hex: Self.genesisHex))
        let hash = try Block(bytes: bytes).hash
        for index in bytes.indices {
            var changed = bytes
            changed[index] ^= 0x01
            if let block = try? Block(bytes: changed) {
                // Only a header byte can change without the merkle root check noticing, and then
                // the hash changes (and mostly the proof of work fails).
                #expect(index < 80 && block.hash != hash, "byte \(index)")
            }
        }
    }
}

/// The merkle tree on mainnet block 100,000's four txids.
@Suite("MerkleTree")
struct MerkleTreeTests {
    @Test("block 100,000's merkle root; an odd level pairs its last hash with itself; no leaves, no root")
    func block100000() throws {
        let txids = try [
            "8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87",
            "fff2525b8931402dd09222c50775608f75787bd2b87e56995a7bdd30f79702c4",
            "6359f0868171b1d194cbee1af2f16ea598ae8fad666d9b012c8ed2b79a236ec4",
            "e9a66845e05d5abc0ad04ec80f774a7e585c6e8db975962d069a522137b80c1d",
        ].map { try #require(Hash256(displayHex: $0)) }
        let (root, mutated) = MerkleTree.root(of: txids)
        #expect(root?.displayHex == "f3e94742aca4b5ef85488dc37c06c3282295ffec960994b2c0d5ac2a25a95766")
        #expect(!mutated)
        // Three leaves hash like four with the last repeated, but only the repeated list is
        // "mutated".
        let three = MerkleTree.root(of: Array(txids.prefix(3)))
        let repeated = MerkleTree.root(of: Array(txids.prefix(3)) + [txids[2]])
        #expect(three.root == repeated.root && !three.mutated && repeated.mutated)
        #expect(MerkleTree.root(of: [txids[0]]).root == txids[0])
        #expect(MerkleTree.root(of: []).root == nil)
    }
}
