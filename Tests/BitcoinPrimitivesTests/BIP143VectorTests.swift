import BitcoinPrimitives
import Testing

/// The worked examples of BIP143 (bitcoin/bips, bip-0143.mediawiki, section "Example").
/// Every hex value below is copied from that text.
@Suite struct BIP143VectorTests {
    func amount(_ satoshis: Int64) throws -> Amount { try Amount(satoshis: satoshis) }

    func script(_ hex: String) throws -> Script { Script(bytes: try [UInt8](testHex: hex)) }

    /// BIP143 "Native P2WPKH": the second input spends P2WPKH, signed with SIGHASH_ALL.
    @Test func nativeP2WPKH() throws {
        let unsigned = try Transaction(
            hex:
                "0100000002fff7f7881a8099afa6940d42d1e7f6362bec38171ea3edf433541db4e4ad969f0000000000eeffffffef51e1b804cc89d182d279655c3aa89e815b1b309fe287d9b2b55d57b90ec68a0100000000ffffffff02202cb206000000001976a9148280b37df378db99f66f85c95a783a76ac7a6d5988ac9093510d000000001976a9143bde42dbee7e4dbe6a21b2d50ce2f0167faa815988ac11000000"
        )
        let key = try PrivateKey(
            secretBytes: try [UInt8](testHex: "619c335025c7f4012e556c2a58b2506e30b8511b53ade95ea316fd8c3286feb9"))
        #expect(key.publicKey.bytes.hex == "025476c2e83188368da1ff3e292e7acafcdb3566bb0ad253f62fc70f07aeee6357")
        let spent = TransactionOutput(
            value: try amount(600_000_000), scriptPubKey: try script("00141d0f172a0ecb48aee1be1f2687d2963ae33f71a1"))
        let scriptCode = try #require(Script.segwitV0ScriptCode(publicKeyHash: key.publicKey.hash160))
        #expect(scriptCode.bytes.hex == "76a9141d0f172a0ecb48aee1be1f2687d2963ae33f71a188ac")
        let sighash = try unsigned.segwitV0SignatureHash(
            inputIndex: 1, scriptCode: scriptCode, amount: spent.value, type: .all)
        #expect(sighash.internalBytes.hex == "c37af31116d1b27caf68aae9e3ac82f1477929014d5b917657d0eb49478cb670")

        // The signature BIP143 lists is an RFC 6979 one: ours is identical.
        let signature = try unsigned.signSegwitV0Input(1, spentOutput: spent, key: key)
        #expect(
            signature.signature.der.hex
                == "304402203609e17b84f6a7d30c80bfa610b5b4542f32a8a0d5447a12fb1366d7f01cc44a0220573a954c4518331561406f90300e8f3358f51928d43c212a8caed02de67eebee"
        )

        // The signed transaction from BIP143 round-trips, and its P2WPKH input verifies.
        let signedHex =
            "01000000000102fff7f7881a8099afa6940d42d1e7f6362bec38171ea3edf433541db4e4ad969f00000000494830450221008b9d1dc26ba6a9cb62127b02742fa9d754cd3bebf337f7a55d114c8e5cdd30be022040529b194ba3f9281a99f2b1c0a19c0489bc22ede944ccf4ecbab4cc618ef3ed01eeffffffef51e1b804cc89d182d279655c3aa89e815b1b309fe287d9b2b55d57b90ec68a0100000000ffffffff02202cb206000000001976a9148280b37df378db99f66f85c95a783a76ac7a6d5988ac9093510d000000001976a9143bde42dbee7e4dbe6a21b2d50ce2f0167faa815988ac000247304402203609e17b84f6a7d30c80bfa610b5b4542f32a8a0d5447a12fb1366d7f01cc44a0220573a954c4518331561406f90300e8f3358f51928d43c212a8caed02de67eebee0121025476c2e83188368da1ff3e292e7acafcdb3566bb0ad253f62fc70f07aeee635711000000"
        let signed = try Transaction(hex: signedHex)
        #expect(signed.serialized.hex == signedHex)
        #expect(signed.outputs == unsigned.outputs && signed.lockTime == unsigned.lockTime)
        try ScriptVerifier.verify(transaction: signed, inputIndex: 1, spentOutput: spent)
        // The first input spends a P2PK output (a high-S-free legacy signature).
        let p2pk = TransactionOutput(
            value: try amount(625_000_000),
            scriptPubKey: try script("2103c9f4836b9a4f77fc0d81f7bcb01b7f1b35916864b9476c241ce9fc198bd25432ac"))
        try ScriptVerifier.verify(transaction: signed, spentOutputs: [p2pk, spent])
    }

    /// BIP143 "P2SH-P2WPKH".
    @Test func nestedP2WPKH() throws {
        let unsigned = try Transaction(
            hex:
                "0100000001db6b1b20aa0fd7b23880be2ecbd4a98130974cf4748fb66092ac4d3ceb1a54770100000000feffffff02b8b4eb0b000000001976a914a457b684d7f0d539a46a45bbc043f35b59d0d96388ac0008af2f000000001976a914fd270b1ee6abcaea97fea7ad0402e8bd8ad6d77c88ac92040000"
        )
        let key = try PrivateKey(
            secretBytes: try [UInt8](testHex: "eb696a065ef48a2192da5b28b694f87544b30fae8327c4510137a922f32c6dcf"))
        #expect(key.publicKey.bytes.hex == "03ad1d8e89212f0b92c74d23bb710c00662ad1470198ac48c43f7d6f93a2a26873")
        let scriptCode = try #require(Script.segwitV0ScriptCode(publicKeyHash: key.publicKey.hash160))
        let value = try amount(1_000_000_000)
        let sighash = try unsigned.segwitV0SignatureHash(
            inputIndex: 0, scriptCode: scriptCode, amount: value, type: .all)
        #expect(sighash.internalBytes.hex == "64f3b0f4dd2bb3aa1ce8566d220cc74dda9df97d8490cc81d89d735c92e59fb6")
        let signature = try unsigned.signSegwitV0Input(0, scriptCode: scriptCode, amount: value, key: key)
        #expect(
            signature.encoded.hex
                == "3044022047ac8e878352d3ebbde1c94ce3a10d057c24175747116f8288e5d794d12d482f0220217f36a485cae903c713331d877c1f64677e3622ad4010726870540656fe9dcb01"
        )
        let signedHex =
            "01000000000101db6b1b20aa0fd7b23880be2ecbd4a98130974cf4748fb66092ac4d3ceb1a5477010000001716001479091972186c449eb1ded22b78e40d009bdf0089feffffff02b8b4eb0b000000001976a914a457b684d7f0d539a46a45bbc043f35b59d0d96388ac0008af2f000000001976a914fd270b1ee6abcaea97fea7ad0402e8bd8ad6d77c88ac02473044022047ac8e878352d3ebbde1c94ce3a10d057c24175747116f8288e5d794d12d482f0220217f36a485cae903c713331d877c1f64677e3622ad4010726870540656fe9dcb012103ad1d8e89212f0b92c74d23bb710c00662ad1470198ac48c43f7d6f93a2a2687392040000"
        let signed = try Transaction(hex: signedHex)
        #expect(signed.serialized.hex == signedHex)
        let spent = TransactionOutput(
            value: value, scriptPubKey: try script("a9144733f37cf4db86fbc2efed2500b4f4e49f31202387"))
        try ScriptVerifier.verify(transaction: signed, inputIndex: 0, spentOutput: spent)
    }

    /// BIP143 "Native P2WSH", first example: OP_CODESEPARATOR and SIGHASH_SINGLE without a
    /// matching output (which commits to zero outputs, not to the legacy value 1).
    @Test func nativeP2WSHWithCodeSeparatorAndSingle() throws {
        let unsigned = try Transaction(
            hex:
                "0100000002fe3dc9208094f3ffd12645477b3dc56f60ec4fa8e6f5d67c565d1c6b9216b36e0000000000ffffffff0815cf020f013ed6cf91d29f4202e8a58726b1ac6c79da47c23d1bee0a6925f80000000000ffffffff0100f2052a010000001976a914a30741f8145e5acadf23f751864167f32e0963f788ac00000000"
        )
        let value = try amount(4_900_000_000)
        var cache = SighashCache(transaction: unsigned)
        // The whole witness script, its not-yet-executed OP_CODESEPARATOR included.
        let full = try script(
            "21026dccc749adc2a9d0d89497ac511f760f45c47dc5ed9cf352a58ac706453880aeadab210255a9626aebf5e29c0e6538428ba0d1dcf6ca98ffdf086aa8ced5e0d0215ea465ac"
        )
        let first = try cache.segwitV0SignatureHash(inputIndex: 1, scriptCode: full, amount: value, type: .single)
        #expect(first.internalBytes.hex == "82dde6e4f1e94d02c2b7ad03d2115d691f48d064e9d52f58194a6637e4194391")
        // After the executed OP_CODESEPARATOR.
        let tail = try script("210255a9626aebf5e29c0e6538428ba0d1dcf6ca98ffdf086aa8ced5e0d0215ea465ac")
        let second = try cache.segwitV0SignatureHash(inputIndex: 1, scriptCode: tail, amount: value, type: .single)
        #expect(second.internalBytes.hex == "fef7bd749cce710c5c052bd796df1af0d935e59cea63736268bcbe2d2134fc47")

        let firstKey = try PrivateKey(
            secretBytes: try [UInt8](testHex: "8e02b539b1500aa7c81cf3fed177448a546f19d2be416c0c61ff28e577d8d0cd"))
        let secondKey = try PrivateKey(
            secretBytes: try [UInt8](testHex: "86bf2ed75935a0cbef03b89d72034bb4c189d381037a5ac121a70016db8896ec"))
        let firstSig = try unsigned.signSegwitV0Input(1, scriptCode: full, amount: value, key: firstKey, type: .single)
        let secondSig = try unsigned.signSegwitV0Input(
            1, scriptCode: tail, amount: value, key: secondKey, type: .single)
        #expect(
            firstSig.encoded.hex
                == "3044022027dc95ad6b740fe5129e7e62a75dd00f291a2aeb1200b84b09d9e3789406b6c002201a9ecd315dd6a0e632ab20bbb98948bc0c6fb204f2c286963bb48517a7058e2703"
        )
        #expect(
            secondSig.encoded.hex
                == "304402200de66acf4527789bfda55fc5459e214fa6083f936b430a762c629656216805ac0220396f550692cd347171cbc1ef1f51e15282e837bb2b30860dc77c8f78bc8501e503"
        )
    }

    /// BIP143 "Native P2WSH", second example: an unexecuted OP_CODESEPARATOR, and
    /// SINGLE|ANYONECANPAY not committing to the input index.
    @Test func nativeP2WSHSingleAnyoneCanPay() throws {
        let unsigned = try Transaction(
            hex:
                "0100000002e9b542c5176808107ff1df906f46bb1f2583b16112b95ee5380665ba7fcfc0010000000000ffffffff80e68831516392fcd100d186b3c2c7b95c80b53c77e77c35ba03a66b429a2a1b0000000000ffffffff0280969800000000001976a914de4b231626ef508c9a74a8517e6783c0546d6b2888ac80969800000000001976a9146648a8cd4531e1ec47f35916de8e259237294d1e88ac00000000"
        )
        let value = try amount(16_777_215)
        var cache = SighashCache(transaction: unsigned)
        let first = try cache.segwitV0SignatureHash(
            inputIndex: 0,
            scriptCode: try script("0063ab68210392972e2eb617b2388771abe27235fd5ac44af8e61693261550447a4c3e39da98ac"),
            amount: value, type: .singleAnyoneCanPay)
        #expect(first.internalBytes.hex == "e9071e75e25b8a1e298a72f0d2e9f4f95a0f5cdf86a533cda597eb402ed13b3a")
        let second = try cache.segwitV0SignatureHash(
            inputIndex: 1,
            scriptCode: try script("68210392972e2eb617b2388771abe27235fd5ac44af8e61693261550447a4c3e39da98ac"),
            amount: value, type: .singleAnyoneCanPay)
        #expect(second.internalBytes.hex == "cd72f1f1a433ee9df816857fad88d8ebd97e09a75cd481583eb841c330275e54")
        let key = try PrivateKey(
            secretBytes: try [UInt8](testHex: "f52b3484edd96598e02a9c89c4492e9c1e2031f471c49fd721fe68b3ce37780d"))
        #expect(
            key.sign(sighash: first, type: .singleAnyoneCanPay).encoded.hex
                == "3045022100f6a10b8604e6dc910194b79ccfc93e1bc0ec7c03453caaa8987f7d6c3413566002206216229ede9b4d6ec2d325be245c5b508ff0339bf1794078e20bfe0babc7ffe683"
        )
    }

    /// BIP143 "P2SH-P2WSH": a 6-of-6 multisig signed with all six sighash types; the full
    /// transaction verifies (one cache shared by the six signature checks).
    @Test func nestedP2WSHSixOfSix() throws {
        let unsigned = try Transaction(
            hex:
                "010000000136641869ca081e70f394c6948e8af409e18b619df2ed74aa106c1ca29787b96e0100000000ffffffff0200e9a435000000001976a914389ffce9cd9ae88dcc0631e88a821ffdbe9bfe2688acc0832f05000000001976a9147480a33f950689af511e6e84c138dbbd3c3ee41588ac00000000"
        )
        let witnessScript = try script(
            "56210307b8ae49ac90a048e9b53357a2354b3334e9c8bee813ecb98e99a7e07e8c3ba32103b28f0c28bfab54554ae8c658ac5c3e0ce6e79ad336331f78c428dd43eea8449b21034b8113d703413d57761b8b9781957b8c0ac1dfe69f492580ca4195f50376ba4a21033400f6afecb833092a9a21cfdf1ed1376e58c5d1f47de74683123987e967a8f42103a6d48b1131e94ba04d9737d61acdaa1322008af9602b3b14862c07a1789aac162102d8b661b0b3302ee2f162b09e07a55ad5dfbe673a9f01d9f0c19617681024306b56ae"
        )
        let value = try amount(987_654_321)
        let expected: [(SighashType, String, String)] = [
            (
                .all, "185c0be5263dce5b4bb50a047973c1b6272bfbd0103a89444597dc40b248ee7c",
                "730fff80e1413068a05b57d6a58261f07551163369787f349438ea38ca80fac6"
            ),
            (
                .none, "e9733bc60ea13c95c6527066bb975a2ff29a925e80aa14c213f686cbae5d2f36",
                "11fa3d25a17cbc22b29c44a484ba552b5a53149d106d3d853e22fdd05a2d8bb3"
            ),
            (
                .single, "1e1f1c303dc025bd664acb72e583e933fae4cff9148bf78c157d1e8f78530aea",
                "77bf4141a87d55bdd7f3cd0bdccf6e9e642935fec45f2f30047be7b799120661"
            ),
            (
                .allAnyoneCanPay, "2a67f03e63a6a422125878b40b82da593be8d4efaafe88ee528af6e5a9955c6e",
                "14af36970f5025ea3e8b5542c0f8ebe7763e674838d08808896b63c3351ffe49"
            ),
            (
                .noneAnyoneCanPay, "781ba15f3779d5542ce8ecb5c18716733a5ee42a6f51488ec96154934e2c890a",
                "fe9a95c19eef81dde2b95c1284ef39be497d128e2aa46916fb02d552485e0323"
            ),
            (
                .singleAnyoneCanPay, "511e8e52ed574121fc1b654970395502128263f62662e076dc6baf05c2e6a99b",
                "428a7aee9f0c2af0cd19af3cf1c78149951ea528726989b2e83e4778d2c3f890"
            ),
        ]
        var cache = SighashCache(transaction: unsigned)
        var witness: [[UInt8]] = [[]]
        for (type, sighashHex, secretHex) in expected {
            let sighash = try cache.segwitV0SignatureHash(
                inputIndex: 0, scriptCode: witnessScript, amount: value, type: type)
            #expect(sighash.internalBytes.hex == sighashHex, "\(type)")
            let key = try PrivateKey(secretBytes: try [UInt8](testHex: secretHex))
            witness.append(key.sign(sighash: sighash, type: type).encoded)
        }
        witness.append(witnessScript.bytes)
        let signedHex =
            "0100000000010136641869ca081e70f394c6948e8af409e18b619df2ed74aa106c1ca29787b96e0100000023220020a16b5755f7f6f96dbd65f5f0d6ab9418b89af4b1f14a1bb8a09062c35f0dcb54ffffffff0200e9a435000000001976a914389ffce9cd9ae88dcc0631e88a821ffdbe9bfe2688acc0832f05000000001976a9147480a33f950689af511e6e84c138dbbd3c3ee41588ac080047304402206ac44d672dac41f9b00e28f4df20c52eeb087207e8d758d76d92c6fab3b73e2b0220367750dbbe19290069cba53d096f44530e4f98acaa594810388cf7409a1870ce01473044022068c7946a43232757cbdf9176f009a928e1cd9a1a8c212f15c1e11ac9f2925d9002205b75f937ff2f9f3c1246e547e54f62e027f64eefa2695578cc6432cdabce271502473044022059ebf56d98010a932cf8ecfec54c48e6139ed6adb0728c09cbe1e4fa0915302e022007cd986c8fa870ff5d2b3a89139c9fe7e499259875357e20fcbb15571c76795403483045022100fbefd94bd0a488d50b79102b5dad4ab6ced30c4069f1eaa69a4b5a763414067e02203156c6a5c9cf88f91265f5a942e96213afae16d83321c8b31bb342142a14d16381483045022100a5263ea0553ba89221984bd7f0b13613db16e7a70c549a86de0cc0444141a407022005c360ef0ae5a5d4f9f2f87a56c1546cc8268cab08c73501d6b3be2e1e1a8a08824730440220525406a1482936d5a21888260dc165497a90a15669636d8edca6b9fe490d309c022032af0c646a34a44d1f4576bf6a4a74b67940f8faa84c7df9abe12a01a11e2b4783cf56210307b8ae49ac90a048e9b53357a2354b3334e9c8bee813ecb98e99a7e07e8c3ba32103b28f0c28bfab54554ae8c658ac5c3e0ce6e79ad336331f78c428dd43eea8449b21034b8113d703413d57761b8b9781957b8c0ac1dfe69f492580ca4195f50376ba4a21033400f6afecb833092a9a21cfdf1ed1376e58c5d1f47de74683123987e967a8f42103a6d48b1131e94ba04d9737d61acdaa1322008af9602b3b14862c07a1789aac162102d8b661b0b3302ee2f162b09e07a55ad5dfbe673a9f01d9f0c19617681024306b56ae00000000"
        let signed = try Transaction(hex: signedHex)
        #expect(signed.serialized.hex == signedHex)
        // Our RFC 6979 signatures are BIP143's, byte for byte.
        #expect(signed.inputs[0].witness == witness)
        let spent = TransactionOutput(
            value: value, scriptPubKey: try script("a9149993a429037b5d912407a71c252019287b8d27a587"))
        try ScriptVerifier.verify(transaction: signed, inputIndex: 0, spentOutput: spent)
    }

    /// BIP143 "No FindAndDelete": segwit scripts keep the signature in the script code. The
    /// witness script contains OP_CHECKSIGVERIFY and the signature itself.
    @Test func noFindAndDelete() throws {
        let unsigned = try Transaction(
            hex:
                "010000000169c12106097dc2e0526493ef67f21269fe888ef05c7a3a5dacab38e1ac8387f14c1d000000ffffffff0101000000000000000000000000"
        )
        let scriptCode = try script(
            "ad4830450220487fb382c4974de3f7d834c1b617fe15860828c7f96454490edd6d891556dcc9022100baf95feb48f845d5bfc9882eb6aeefa1bc3790e39f59eaa46ff7f15ae626c53e01"
        )
        let sighash = try unsigned.segwitV0SignatureHash(
            inputIndex: 0, scriptCode: scriptCode, amount: try amount(200_000), type: .all)
        #expect(sighash.internalBytes.hex == "71c9cd9b2869b9c70b01b1f0360c148f42dee72297db312638df136f43311f23")
        // The signature has a high S, so it only verifies without the standard rules.
        let signedHex =
            "0100000000010169c12106097dc2e0526493ef67f21269fe888ef05c7a3a5dacab38e1ac8387f14c1d000000ffffffff01010000000000000000034830450220487fb382c4974de3f7d834c1b617fe15860828c7f96454490edd6d891556dcc9022100baf95feb48f845d5bfc9882eb6aeefa1bc3790e39f59eaa46ff7f15ae626c53e012102a9781d66b61fb5a7ef00ac5ad5bc6ffc78be7b44a566e3c87870e1079368df4c4aad4830450220487fb382c4974de3f7d834c1b617fe15860828c7f96454490edd6d891556dcc9022100baf95feb48f845d5bfc9882eb6aeefa1bc3790e39f59eaa46ff7f15ae626c53e0100000000"
        let signed = try Transaction(hex: signedHex)
        let spent = TransactionOutput(
            value: try amount(200_000),
            scriptPubKey: try script("00209e1be07558ea5cc8e02ed1d80c0911048afad949affa36d5c3951e3159dbea19"))
        try ScriptVerifier.verify(transaction: signed, inputIndex: 0, spentOutput: spent, flags: .consensus)
        #expect(throws: ScriptError.highS) {
            try ScriptVerifier.verify(transaction: signed, inputIndex: 0, spentOutput: spent)
        }
    }
}
