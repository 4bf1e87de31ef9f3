import BitcoinPrimitives

/// Keys, scripts and transactions for hand-made spends. Scripts are built by hand with
/// ``ScriptBuilder`` (the template builders live elsewhere).
enum SpendFixtures {
    static func key(_ label: String, compressed: Bool = true) throws -> PrivateKey {
        try PrivateKey(secretBytes: Hashing.sha256(Array(label.utf8)), compressed: compressed)
    }

    static func script(_ build: (inout ScriptBuilder) -> Void) -> Script {
        var builder = ScriptBuilder()
        build(&builder)
        return builder.script
    }

    static func p2pkh(_ key: PublicKey) -> Script {
        script {
            $0.add(.dup)
            $0.add(.hash160)
            $0.push(key.hash160)
            $0.add(.equalVerify)
            $0.add(.checkSig)
        }
    }

    static func p2sh(_ redeem: Script) -> Script {
        script {
            $0.add(.hash160)
            $0.push(Hashing.hash160(redeem.bytes))
            $0.add(.equal)
        }
    }

    static func p2wpkh(_ key: PublicKey) -> Script {
        script {
            $0.add(.op0)
            $0.push(key.hash160)
        }
    }

    static func p2wsh(_ witnessScript: Script) -> Script {
        script {
            $0.add(.op0)
            $0.push(Hashing.sha256(witnessScript.bytes))
        }
    }

    static func multisig2of2(_ a: PublicKey, _ b: PublicKey) -> Script {
        script {
            $0.add(.op2)
            $0.push(a.bytes)
            $0.push(b.bytes)
            $0.add(.op2)
            $0.add(.checkMultisig)
        }
    }

    /// `OP_IF <server> OP_CHECKSIGVERIFY OP_ELSE <expiry> OP_CHECKLOCKTIMEVERIFY OP_DROP
    /// OP_ENDIF <client> OP_CHECKSIG`.
    static func channel(server: PublicKey, client: PublicKey, expiry: Int64) -> Script {
        script {
            $0.add(.if)
            $0.push(server.bytes)
            $0.add(.checkSigVerify)
            $0.add(.else)
            $0.push(number: expiry)
            $0.add(.checkLockTimeVerify)
            $0.add(.drop)
            $0.add(.endIf)
            $0.push(client.bytes)
            $0.add(.checkSig)
        }
    }

    static let fundingTxid = Hash256(internalOrder: Hashing.sha256(Array("funding".utf8)))!

    static func amount(_ satoshis: Int64) -> Amount { Amount(exactly: satoshis)! }

    /// A transaction spending `fundingTxid:0` to one P2PKH output.
    static func spending(
        lockTime: UInt32 = 0, sequence: UInt32 = TransactionInput.finalSequence, value: Int64 = 90_000
    ) throws -> Transaction {
        let payee = try key("payee").publicKey
        return Transaction(
            version: 1,
            inputs: [TransactionInput(previousOutput: OutPoint(txid: fundingTxid, index: 0), sequence: sequence)],
            outputs: [TransactionOutput(value: amount(value), scriptPubKey: p2pkh(payee))],
            lockTime: lockTime)
    }

    /// A scriptSig pushing each item minimally.
    static func scriptSig(_ items: [[UInt8]]) -> Script {
        script { builder in
            for item in items { builder.push(item) }
        }
    }
}

/// Signature mutations for negative tests.
enum SignatureMutations {
    /// The secp256k1 group order.
    static let order: [UInt8] = [UInt8](hex: "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")!

    /// The same signature with S replaced by n − S (valid, but high S), sighash byte kept.
    static func highS(_ encoded: [UInt8]) -> [UInt8]? {
        guard let (r, s) = parseDER(Array(encoded.dropLast())), let last = encoded.last else { return nil }
        var padded = [UInt8](repeating: 0, count: 32 - s.count) + s
        var borrow = 0
        for i in (0..<32).reversed() {
            let difference = Int(order[i]) - Int(padded[i]) - borrow
            padded[i] = UInt8((difference + 256) % 256)
            borrow = difference < 0 ? 1 : 0
        }
        return encodeDER(r: r, s: padded) + [last]
    }

    /// Splits strict DER into R and S.
    static func parseDER(_ der: [UInt8]) -> ([UInt8], [UInt8])? {
        guard der.count > 6, der[0] == 0x30, der[2] == 0x02 else { return nil }
        let rLength = Int(der[3])
        guard der.count > 5 + rLength, der[4 + rLength] == 0x02 else { return nil }
        let sLength = Int(der[5 + rLength])
        guard der.count == 6 + rLength + sLength else { return nil }
        return (Array(der[4..<4 + rLength]), Array(der[6 + rLength..<6 + rLength + sLength]))
    }

    static func encodeDER(r: [UInt8], s: [UInt8]) -> [UInt8] {
        func integer(_ value: [UInt8]) -> [UInt8] {
            var bytes = Array(value.drop { $0 == 0 })
            if bytes.isEmpty || bytes[0] & 0x80 != 0 { bytes.insert(0, at: 0) }
            return [0x02, UInt8(bytes.count)] + bytes
        }
        let body = integer(r) + integer(s)
        return [0x30, UInt8(body.count)] + body
    }
}
