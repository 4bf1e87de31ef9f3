import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import Foundation

/// Deterministic records for the store tests: every field set, nothing left at a default, and
/// the odd edge (empty signature and script, an uncompressed key, the largest expiry, a segwit
/// contract). The same seed gives the same record, so the committed v1 fixture files can be
/// regenerated and compared. Shared by every store's tests (the conformance cases among them).
public enum StoreFixtures {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    public static let baseTime: UInt64 = 1_700_000_000

    /// A 32-byte value derived from a seed and a tag.
    public static func bytes32(_ seed: Int, tag: UInt8) -> [UInt8] {
        let seedBytes = withUnsafeBytes(of: UInt32(truncatingIfNeeded: seed).bigEndian) { Array($0) }
        return Hashing.sha256([tag] + seedBytes)
    }

    public static func hash(_ seed: Int, tag: UInt8) throws -> Hash256 {
        guard let hash = Hash256(internalOrder: bytes32(seed, tag: tag)) else { throw Failure(description: "hash") }
        return hash
    }

    public static func publicKey(_ seed: Int, tag: UInt8, compressed: Bool = true) throws -> PublicKey {
        let seedBytes = withUnsafeBytes(of: UInt32(truncatingIfNeeded: seed).bigEndian) { Array($0) }
        let secret = [0x01] + [UInt8](repeating: 0, count: 26) + [tag] + seedBytes
        return try PrivateKey(secretBytes: secret, compressed: compressed).publicKey
    }

    public static func amount(_ satoshis: Int64) throws -> Amount { try Amount(satoshis: satoshis) }

    /// A transaction unique to `seed` and `tag`.
    public static func transaction(_ seed: Int, tag: UInt8, value: Int64, witness: Bool = false, lockTime: UInt32 = 0)
        throws -> Transaction
    {
        let input = TransactionInput(
            previousOutput: OutPoint(txid: try hash(seed, tag: tag), index: UInt32(seed % 5)),
            scriptSig: Script(bytes: witness ? [] : [0x51, tag]), sequence: 0xffff_fffe,
            witness: witness ? [[0x30, 0x44, tag], [0x02, 0x03]] : [])
        let output = TransactionOutput(
            value: try amount(value), scriptPubKey: Script(bytes: [0x00, 0x20] + bytes32(seed, tag: tag &+ 100)))
        return Transaction(version: 2, inputs: [input], outputs: [output], lockTime: lockTime)
    }

    /// A server record; `variant` picks edge cases (0: plain v2 open; 1: v1 settled with a
    /// settlement, uncompressed client key; 2: largest expiry, empty signature and script).
    public static func server(_ seed: Int, variant: Int = 0) throws -> ServerChannelRecord {
        let value: Int64 = 1_000_000 + Int64(seed) * 1_000
        let contract = try transaction(seed, tag: 1, value: value, witness: variant == 0)
        switch variant {
        case 1:
            return ServerChannelRecord(
                version: .v1, contract: contract, channelValue: try amount(value), serverKeyIndex: UInt32(seed) + 7,
                serverPublicKey: try publicKey(seed, tag: 2),
                clientPublicKey: try publicKey(seed, tag: 3, compressed: false),
                clientOutputScript: Script(
                    bytes: [0x76, 0xa9, 0x14] + Array(bytes32(seed, tag: 4).prefix(20)) + [0x88, 0xac]),
                expiry: baseTime + 86_400 + UInt64(seed), bestValueToServer: try amount(value / 2),
                bestSignature: [0x30, 0x45] + bytes32(seed, tag: 5) + [0x01], state: .settled,
                settlement: try transaction(seed, tag: 6, value: value - 500))
        case 2:
            return ServerChannelRecord(
                version: .v2, contract: contract, channelValue: try amount(value), serverKeyIndex: UInt32.max,
                serverPublicKey: try publicKey(seed, tag: 2), clientPublicKey: try publicKey(seed, tag: 3),
                clientOutputScript: Script(bytes: []), expiry: UInt64.max, bestValueToServer: .zero, bestSignature: [],
                state: .opening)
        default:
            return ServerChannelRecord(
                version: .v2, contract: contract, channelValue: try amount(value), serverKeyIndex: UInt32(seed),
                serverPublicKey: try publicKey(seed, tag: 2), clientPublicKey: try publicKey(seed, tag: 3),
                clientOutputScript: Script(bytes: [0x00, 0x14] + Array(bytes32(seed, tag: 4).prefix(20))),
                expiry: baseTime + 3_600 + UInt64(seed), bestValueToServer: try amount(1_000),
                bestSignature: [0x30, 0x44] + bytes32(seed, tag: 5) + [0x01], state: .open)
        }
    }

    /// A client record; `variant` picks edge cases (0: v2 open; 1: v1 refunded with a settlement
    /// field set, non-ASCII server id; 2: opening, empty server id, largest expiry).
    public static func client(_ seed: Int, variant: Int = 0, serverID: String? = nil) throws -> ClientChannelRecord {
        let value: Int64 = 2_000_000 + Int64(seed) * 1_000
        let contract = try transaction(seed, tag: 11, value: value, witness: variant != 1)
        let refund = try transaction(seed, tag: 12, value: value - 1_000, lockTime: UInt32(baseTime + 86_400))
        switch variant {
        case 1:
            return ClientChannelRecord(
                version: .v1, serverID: serverID ?? "sérveur-\(seed).example:4242", contract: contract,
                channelValue: try amount(value), refund: refund, clientKeyIndex: UInt32(seed) + 3,
                clientPublicKey: try publicKey(seed, tag: 13, compressed: false),
                serverPublicKey: try publicKey(seed, tag: 14),
                expiry: baseTime + 86_400 + UInt64(seed), valueLeft: try amount(value - 12_345),
                minPayment: try amount(1), state: .refunded, settlement: try transaction(seed, tag: 15, value: 99))
        case 2:
            return ClientChannelRecord(
                version: .v2, serverID: serverID ?? "", contract: contract, channelValue: try amount(value),
                refund: refund, clientKeyIndex: UInt32.max, clientPublicKey: try publicKey(seed, tag: 13),
                serverPublicKey: try publicKey(seed, tag: 14), expiry: UInt64.max, valueLeft: try amount(value),
                minPayment: .zero, state: .opening)
        default:
            return ClientChannelRecord(
                version: .v2, serverID: serverID ?? "server-\(seed % 3).example:4242", contract: contract,
                channelValue: try amount(value), refund: refund, clientKeyIndex: UInt32(seed),
                clientPublicKey: try publicKey(seed, tag: 13), serverPublicKey: try publicKey(seed, tag: 14),
                expiry: baseTime + 3_600 + UInt64(seed), valueLeft: try amount(value - 5_000),
                minPayment: try amount(1_000), state: .open)
        }
    }

    public static func walletOutput(_ seed: Int, family: KeyFamily = .walletReceive, spentBy: Hash256? = nil) throws
        -> WalletOutput
    {
        WalletOutput(
            outpoint: OutPoint(txid: try hash(seed, tag: 21), index: UInt32(seed % 4)),
            value: try amount(50_000 + Int64(seed)),
            scriptPubKey: Script(bytes: [0x00, 0x14] + Array(bytes32(seed, tag: 22).prefix(20))), keyFamily: family,
            keyIndex: UInt32(seed) * 2, spentBy: spentBy)
    }

    public static func signature(_ n: Int) -> [UInt8] { [0x30, 0x44] + bytes32(n, tag: 31) + [0x01] }
}
