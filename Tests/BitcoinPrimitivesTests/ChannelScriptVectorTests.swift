import BitcoinPrimitives
import Foundation
import Testing

/// Paychan's channel scripts against bitcoinj v0.15.10's recorded transactions
/// (`../shared/vectors/bitcoinj/`).
@Suite struct ChannelScriptVectorTests {
    /// The expiry bitcoinj's server chose in these recordings (`INITIATE.expire_time_secs`).
    private let expiry: Int64 = 1_767_311_940

    @Test func v2ChannelScriptMatchesBitcoinj() throws {
        let fixture = try BitcoinjFixture(named: "v2-open-pay-close")
        let server = try fixture.publicKey("server_public_key")
        let client = try fixture.publicKey("client_public_key")
        let contract = try fixture.transaction("contract")
        #expect(try fixture.integer(["summary", "expire_time_secs"]) == expiry)

        let redeem = try Script.channelV2(server: server, client: client, expiry: expiry)
        #expect(redeem.bytes.hex == (try fixture.string(["transactions", "contract", "redeem_script"])))
        let output = Script.p2sh(redeemScript: redeem)
        #expect(output.bytes.hex == (try contract.outputScript(0)))

        #expect(redeem.template == .channelV2(server: server, client: client, expiry: expiry))
        #expect(output.template == .p2sh(hash160: Hashing.hash160(redeem.bytes)))
    }

    @Test func v1ContractOutputMatchesBitcoinj() throws {
        let fixture = try BitcoinjFixture(named: "v1-open-pay-close")
        let server = try fixture.publicKey("server_public_key")
        let client = try fixture.publicKey("client_public_key")
        let expected = try fixture.transaction("contract").outputScript(0)

        #expect(Script.channelV1(client: client, server: server).bytes.hex == expected)
        #expect(try Script.multisig(required: 2, keys: [client, server]).bytes.hex == expected)
        let script = try #require(Script(fixtureHex: expected))
        #expect(script.template == .multisig(required: 2, keys: [client, server]))
    }

    @Test func p2pkhOutputsMatchBitcoinj() throws {
        let fixture = try BitcoinjFixture(named: "v2-open-pay-close")
        let client = try fixture.publicKey("client_public_key")
        #expect(Script.p2pkh(publicKey: client).bytes.hex == (try fixture.string(["funding", "script_pubkey"])))
        for name in ["server_payout_key", "client_change_key"] {
            let key = try #require(PublicKey(fixtureHex: try fixture.string([name, "public_key"])))
            let expected = try fixture.string([name, "p2pkh_script_pubkey"])
            #expect(Script.p2pkh(publicKey: key).bytes.hex == expected)
            #expect(Script(fixtureHex: expected)?.template == .p2pkh(hash160: key.hash160))
        }
    }
}

/// One of the recorded bitcoinj conversations, read as JSON.
private struct BitcoinjFixture {
    let root: [String: Any]

    init(named name: String) throws {
        // Tests/BitcoinPrimitivesTests/<file> -> package root -> ../shared/vectors/bitcoinj
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let url = packageRoot.appendingPathComponent("../shared/vectors/bitcoinj/\(name).json")
        let object = try JSONSerialization.jsonObject(with: try Data(contentsOf: url))
        root = try #require(object as? [String: Any])
    }

    func value(_ path: [String]) throws -> Any {
        var current: Any = root
        for key in path {
            current = try #require((current as? [String: Any])?[key], "missing \(path)")
        }
        return current
    }

    func string(_ path: [String]) throws -> String { try #require(try value(path) as? String) }
    func integer(_ path: [String]) throws -> Int64 { try #require((try value(path) as? NSNumber)?.int64Value) }

    func publicKey(_ name: String) throws -> PublicKey {
        try #require(PublicKey(fixtureHex: try string([name])))
    }

    func transaction(_ name: String) throws -> RecordedTransaction {
        RecordedTransaction(object: try #require(try value(["transactions", name]) as? [String: Any]))
    }
}

private struct RecordedTransaction {
    let object: [String: Any]

    func outputScript(_ index: Int) throws -> String {
        let outputs = try #require(object["outputs"] as? [[String: Any]])
        try #require(index < outputs.count)
        return try #require(outputs[index]["script_pubkey"] as? String)
    }
}

extension PublicKey {
    fileprivate init?(fixtureHex hex: String) {
        guard let bytes = [UInt8](hex: hex), let key = try? PublicKey(bytes: bytes) else { return nil }
        self = key
    }
}

extension Script {
    fileprivate init?(fixtureHex hex: String) {
        guard let bytes = [UInt8](hex: hex) else { return nil }
        self.init(bytes: bytes)
    }
}
