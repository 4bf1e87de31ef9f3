import BitcoinPrimitives
import ChannelStateMachine
import ChannelStoreConformance
import Foundation
import Testing

@testable import ChannelManager

/// The payment journal's record codec (``PaymentJournalRecord``): what it writes reads back
/// exactly, and anything else (a torn, stale, foreign, short or random record) reads as none.
@Suite("Payment journal record")
struct PaymentJournalTests {
    static let identity: [UInt8] = Array(StoreFixtures.bytes32(1, tag: 90).prefix(16))
    static let base: UInt64 = 1_234_567
    static let sequence: UInt64 = 1_234_570

    /// Server and client entries of every shape: empty, ordinary and longest signatures,
    /// zero and large amounts; enough of them to span several blocks.
    static func entries(count: Int) throws -> [JournaledPayment] {
        try (0..<count).map { index in
            let txid = try StoreFixtures.hash(index, tag: 91)
            switch index % 4 {
            case 0:
                return .server(
                    contractTxid: txid, bestValueToServer: try StoreFixtures.amount(Int64(index) * 1_000 + 7),
                    signature: StoreFixtures.signature(index))
            case 1:
                return .client(contractTxid: txid, valueLeft: try StoreFixtures.amount(Int64(index) * 3))
            case 2:
                let signature = (0..<PaymentJournalRecord.maxSignatureLength).map {
                    UInt8(truncatingIfNeeded: $0 &* index)
                }
                return .server(
                    contractTxid: txid, bestValueToServer: try StoreFixtures.amount(2_000_000_000_000_000),
                    signature: signature)
            default:
                return .server(contractTxid: txid, bestValueToServer: .zero, signature: [])
            }
        }
    }

    /// `record` placed at `offset` of a file of `fileSize` bytes (zeros around it).
    static func file(with record: [UInt8], at offset: Int, fileSize: Int) -> [UInt8] {
        var file = [UInt8](repeating: 0, count: fileSize)
        file.replaceSubrange(offset..<(offset + record.count), with: record)
        return file
    }

    /// `entries` as one record with the suite's identity, base and sequence number.
    static func encode(_ entries: [JournaledPayment]) -> [UInt8] {
        PaymentJournalRecord.encode(identity: identity, base: base, sequence: sequence, entries: entries)
    }

    static func decode(
        _ file: [UInt8], at offset: Int, identity: [UInt8] = identity, base: UInt64 = base,
        sequence: UInt64 = sequence
    ) -> (entries: [JournaledPayment], size: Int)? {
        file.withUnsafeBytes {
            PaymentJournalRecord.decode($0, at: offset, identity: identity, base: base, sequence: sequence)
        }
    }

    /// The record's bytes covered by its checksum, checksum included.
    static func usedSize(_ entries: [JournaledPayment]) -> Int {
        PaymentJournalRecord.headerSize + entries.reduce(0) { $0 + $1.encodedSize } + PaymentJournalRecord.checksumSize
    }

    /// `count` seeded random bytes, eight from each draw.
    static func randomBytes(_ count: Int, using random: inout SplitMix64) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count + 7)
        while bytes.count < count { withUnsafeBytes(of: random.next()) { bytes += $0 } }
        return Array(bytes.prefix(count))
    }

    @Test("a record of server and client entries spanning several blocks decodes to the same entries")
    func roundTrip() throws {
        let block = PaymentJournalRecord.blockSize
        for count in [1, 2, 7, 60, 130] {
            let entries = try Self.entries(count: count)
            let record = Self.encode(entries)
            #expect(record.count % block == 0)
            #expect(
                record.count
                    == PaymentJournalRecord.recordSize(payloadSize: entries.reduce(0) { $0 + $1.encodedSize }))
            #expect(record.count >= Self.usedSize(entries) && record.count < Self.usedSize(entries) + block)
            if count >= 60 { #expect(record.count >= 2 * block) }
            // At the start of a file and in a later block, with other bytes after it.
            for offset in [0, 3 * block] {
                var file = Self.file(with: record, at: offset, fileSize: offset + record.count + 2 * block)
                file[offset + record.count] = 0xee
                let decoded = Self.decode(file, at: offset)
                #expect(decoded?.entries == entries)
                #expect(decoded?.size == record.count)
            }
        }
        // Both kinds keep their kind: a client and a server entry on the same channel differ.
        let txid = try StoreFixtures.hash(5, tag: 92)
        let pair: [JournaledPayment] = [
            .client(contractTxid: txid, valueLeft: try StoreFixtures.amount(9)),
            .server(contractTxid: txid, bestValueToServer: try StoreFixtures.amount(9), signature: [1]),
        ]
        let record = PaymentJournalRecord.encode(identity: Self.identity, base: 0, sequence: 1, entries: pair)
        #expect(Self.decode(record, at: 0, base: 0, sequence: 1)?.entries == pair)
    }

    @Test("one flipped byte anywhere in the checksummed part makes the record unreadable")
    func flippedByte() throws {
        let entries = try Self.entries(count: 60)
        let record = Self.encode(entries)
        let used = Self.usedSize(entries)
        #expect(used > PaymentJournalRecord.blockSize)
        var random = SplitMix64(seed: 0x5041_594a)
        var readable: [Int] = []
        for position in 0..<used {
            var file = record
            file[position] ^= UInt8.random(in: 1...255, using: &random)
            if Self.decode(file, at: 0) != nil { readable.append(position) }
        }
        #expect(readable == [])
        // The untouched record still reads (the flips above were on copies).
        #expect(Self.decode(record, at: 0)?.entries == entries)
    }

    @Test("a record read with another identity, base or sequence number reads as none")
    func wrongContext() throws {
        let entries = try Self.entries(count: 5)
        let record = Self.encode(entries)
        #expect(Self.decode(record, at: 0)?.entries == entries)
        var otherIdentity = Self.identity
        otherIdentity[15] ^= 1
        #expect(Self.decode(record, at: 0, identity: otherIdentity) == nil)
        #expect(Self.decode(record, at: 0, identity: Array(StoreFixtures.bytes32(2, tag: 90).prefix(16))) == nil)
        for base in [0, Self.base - 1, Self.base + 1, Self.sequence, UInt64.max] {
            #expect(Self.decode(record, at: 0, base: base) == nil)
        }
        for sequence in [0, Self.sequence - 1, Self.sequence + 1, Self.base, Self.sequence + 256] {
            #expect(Self.decode(record, at: 0, sequence: sequence) == nil)
        }
    }

    @Test("a buffer cut short of the record's checksummed part reads as none")
    func cutShort() throws {
        let entries = try Self.entries(count: 60)
        let record = Self.encode(entries)
        let used = Self.usedSize(entries)
        var readable: [Int] = []
        for length in 0..<used where Self.decode(Array(record[0..<length]), at: 0) != nil {
            readable.append(length)
        }
        #expect(readable == [])
        // Read at an offset near the end of a longer buffer, too.
        let file = Self.file(
            with: record, at: PaymentJournalRecord.blockSize, fileSize: 4 * PaymentJournalRecord.blockSize)
        #expect(
            Self.decode(
                Array(file[0..<(PaymentJournalRecord.blockSize + used - 1)]), at: PaymentJournalRecord.blockSize) == nil
        )
        #expect(Self.decode(file, at: file.count) == nil)
        #expect(Self.decode(file, at: file.count - 1) == nil)
    }

    @Test("a zeroed block reads as none, whether a whole record's or one block of a longer record")
    func zeroedBlock() throws {
        let block = PaymentJournalRecord.blockSize
        #expect(Self.decode([UInt8](repeating: 0, count: 4 * block), at: 0) == nil)
        #expect(Self.decode([UInt8](repeating: 0, count: 4 * block), at: block) == nil)
        // Zeros read with a zero identity, base and sequence are still no record (no magic).
        #expect(
            Self.decode(
                [UInt8](repeating: 0, count: block), at: 0, identity: [UInt8](repeating: 0, count: 16),
                base: 0, sequence: 0) == nil)
        let entries = try Self.entries(count: 100)
        let record = Self.encode(entries)
        #expect(record.count >= 3 * block)
        for zeroed in 0..<(record.count / block) where zeroed * block < Self.usedSize(entries) {
            var file = record
            file.replaceSubrange((zeroed * block)..<((zeroed + 1) * block), with: [UInt8](repeating: 0, count: block))
            #expect(Self.decode(file, at: 0) == nil, "block \(zeroed) zeroed")
        }
    }

    @Test("random bytes never crash the decoder and never read as a record")
    func randomGarbage() throws {
        var random = SplitMix64(seed: 0x6a6f_7572_6e61_6c)
        let block = PaymentJournalRecord.blockSize
        let header = PaymentJournalRecord.magic + Self.identity
        var decoded = 0
        for round in 0..<3_000 {
            let size = Int.random(in: 0...(2 * block + 100), using: &random)
            var buffer = Self.randomBytes(size, using: &random)
            // A third start like a record of this journal, so the decoder gets past the header.
            if round % 3 == 1 && size >= 40 {
                buffer.replaceSubrange(0..<20, with: header)
                withUnsafeBytes(of: Self.base.littleEndian) { buffer.replaceSubrange(20..<28, with: $0) }
                withUnsafeBytes(of: Self.sequence.littleEndian) { buffer.replaceSubrange(28..<36, with: $0) }
                // A payload length that fits the buffer, half the time.
                if round % 2 == 0 {
                    let length = UInt32(Int.random(in: 0...(size - 72 > 0 ? size - 72 : 0), using: &random))
                    withUnsafeBytes(of: length.littleEndian) { buffer.replaceSubrange(36..<40, with: $0) }
                }
            }
            let offset = size == 0 ? 0 : Int.random(in: 0...size, using: &random) / block * block
            if Self.decode(buffer, at: min(offset, size)) != nil { decoded += 1 }
            if Self.decode(buffer, at: 0) != nil { decoded += 1 }
        }
        #expect(decoded == 0)
    }

    @Test("random payloads with a good checksum never crash the decoder; what it reads encodes back the same")
    func randomPayloads() throws {
        var random = SplitMix64(seed: 0x7061_796c_6f61_64)
        var accepted = 0
        for _ in 0..<2_000 {
            // Entry-shaped payloads: a kind byte that is mostly valid, then random fields.
            var payload: [UInt8] = []
            for _ in 0..<Int.random(in: 0...6, using: &random) {
                payload.append(UInt8.random(in: 0...3, using: &random))
                payload += Self.randomBytes(32, using: &random)
                // Amounts small enough to be valid most of the time.
                let amount = UInt64.random(in: 0...(1 << 52), using: &random)
                withUnsafeBytes(of: amount.littleEndian) { payload += $0 }
                if payload[payload.count - 41] == 1 {
                    let length = UInt16.random(in: 0...80, using: &random)
                    withUnsafeBytes(of: length.littleEndian) { payload += $0 }
                    payload += Self.randomBytes(Int(length), using: &random)
                }
            }
            // Cut at a random point, half the time.
            if Bool.random(using: &random) && !payload.isEmpty {
                payload.removeLast(Int.random(in: 0..<payload.count, using: &random))
            }
            var record = PaymentJournalRecord.magic + Self.identity
            withUnsafeBytes(of: Self.base.littleEndian) { record += $0 }
            withUnsafeBytes(of: Self.sequence.littleEndian) { record += $0 }
            withUnsafeBytes(of: UInt32(payload.count).littleEndian) { record += $0 }
            record += payload
            record += Hashing.sha256(record)
            record += [UInt8](
                repeating: 0, count: PaymentJournalRecord.recordSize(payloadSize: payload.count) - record.count)
            guard let decoded = Self.decode(record, at: 0) else { continue }
            accepted += 1
            let again = Self.encode(decoded.entries)
            #expect(again == record)
        }
        // Some were well formed (else this test checks nothing), and some were not.
        #expect(accepted > 100)
        #expect(accepted < 2_000)
    }
}
