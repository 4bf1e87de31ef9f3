/// One key-value record of a PSBT map (BIP174): `<keylen> <keytype> <keydata> <valuelen> <value>`.
public struct PSBTRecord: Hashable, Sendable {
    /// The whole key: the CompactSize key type followed by the key data.
    public let key: [UInt8]
    /// The value bytes.
    public let value: [UInt8]
    /// The key type (the key's leading CompactSize).
    public let type: UInt64
    /// The key after its type.
    public let keyData: [UInt8]

    /// A record with key type `type`, key data `keyData` and `value`.
    public init(type: UInt64, keyData: [UInt8] = [], value: [UInt8]) {
        var writer = ByteWriter(capacity: 9 + keyData.count)
        writer.writeCompactSize(type)
        writer.write(keyData)
        self.key = writer.bytes
        self.value = value
        self.type = type
        self.keyData = keyData
    }

    /// Splits `key` into its type and data; throws when the type is not a canonical
    /// CompactSize.
    init(key: [UInt8], value: [UInt8]) throws(ParseError) {
        var reader = ByteReader(key)
        self.type = try reader.readCompactSize()
        self.keyData = try reader.readBytes(reader.remaining)
        self.key = key
        self.value = value
    }
}

/// The records of one PSBT map, in the order read, each key once.
public struct PSBTMap: Hashable, Sendable {
    /// The records.
    public private(set) var records: [PSBTRecord]

    /// A map of `records`.
    public init(_ records: [PSBTRecord] = []) {
        self.records = records
    }

    /// The value of the record whose key is `type` alone (no key data), if any.
    public func value(of type: UInt64) -> [UInt8]? {
        records.first { $0.type == type && $0.keyData.isEmpty }?.value
    }

    /// The records of key type `type`.
    public func records(of type: UInt64) -> [PSBTRecord] {
        records.filter { $0.type == type }
    }

    /// Replaces the record with `record`'s key, or appends it.
    public mutating func set(_ record: PSBTRecord) {
        if let index = records.firstIndex(where: { $0.key == record.key }) {
            records[index] = record
        } else {
            records.append(record)
        }
    }

    /// Reads records up to the map's `0x00` separator, refusing a key seen twice.
    static func parse(from reader: inout ByteReader, map: PSBTError.Map) throws(PSBTError) -> PSBTMap {
        var records: [PSBTRecord] = []
        var seen: Set<[UInt8]> = []
        while true {
            do {
                let keyLength = try reader.readLength()
                if keyLength == 0 { return PSBTMap(records) }
                let key = try reader.readBytes(keyLength)
                let value = try reader.readVarBytes()
                guard seen.insert(key).inserted else { throw PSBTError.duplicateKey(map, key: key) }
                records.append(try PSBTRecord(key: key, value: value))
            } catch let error as PSBTError {
                throw error
            } catch let error as ParseError {
                throw .malformed(error)
            } catch {
                throw .malformed(.invalid("\(error)"))
            }
        }
    }

    /// Writes the records and the `0x00` separator.
    func write(to writer: inout ByteWriter) {
        for record in records {
            writer.writeVarBytes(record.key)
            writer.writeVarBytes(record.value)
        }
        writer.write(0x00)
    }
}
