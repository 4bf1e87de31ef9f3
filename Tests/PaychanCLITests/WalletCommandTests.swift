import BitcoinPrimitives
import ChannelManager
import Foundation
import PaychanTestSupport
import Testing

@Suite("paychan wallet address, balance and send as real processes", .onDedicatedThreads, .serialized)
struct WalletCommandTests {
    @Test("address: a fresh bech32 P2WPKH address of the network each time")
    func addresses() throws {
        let scratch = try ScratchDirectory()
        let dir = scratch.path + "/wallet"
        let first = try PaychanProcess.run(["wallet", "address", "--dir", dir, "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        let address = try #require(try first.json()["address"] as? String)
        #expect(address.hasPrefix("bcrt1q"))
        #expect(
            try Address(address, network: .regtest).scriptPubKey.template
                == .p2wpkh(hash160: try receiveKey(dir, 0).publicKey.hash160))
        let second = try PaychanProcess.run(["wallet", "address", "--dir", dir, "--network", "mainnet"])
        #expect(second.status == 0, "\(second.stderr)")
        let mainnet = second.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(mainnet.hasPrefix("bc1q"))
        #expect(
            try Address(mainnet, network: .mainnet).scriptPubKey == .p2wpkh(publicKey: try receiveKey(dir, 1).publicKey)
        )
        let bad = try PaychanProcess.run(["wallet", "address", "--dir", dir, "--network", "moonnet"])
        #expect(bad.status == 1)
    }

    @Test("balance after a client run: its change unconfirmed, its channel's value left locked")
    func balanceAfterAClient() throws {
        let scratch = try ScratchDirectory()
        let server = try RunningServer(directory: scratch.path + "/server")
        defer { server.stop() }
        let clientDir = scratch.path + "/client"
        let paid = try PaychanProcess.run([
            "client", "--server", server.address, "--dir", clientDir, "--channel-value", "300000", "--payments", "10",
            "--amount", "2000",
        ])
        #expect(paid.status == 0, "\(paid.stderr)")
        let balance = try PaychanProcess.run(["wallet", "balance", "--dir", clientDir, "--json"])
        #expect(balance.status == 0, "\(balance.stderr)")
        let parts = try balance.json()
        #expect(parts["confirmed"] as? Int == 0)
        #expect(parts["locked_in_channels"] as? Int == 279_000)  // 300,000 less 1,000 at open and 10 × 2,000
        // The client funded 400,000 (the channel and a margin); the contract's change comes back.
        let unconfirmed = try #require(parts["unconfirmed"] as? Int)
        #expect((99_000..<100_000).contains(unconfirmed))
    }

    @Test("send: refuses bad addresses and arguments before signing; too little money is status 4")
    func sendRefusals() async throws {
        let scratch = try ScratchDirectory()
        let dir = scratch.path + "/wallet"
        let coins = try await storeCoins(dir)
        let mainnetAddress = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
        let regtestAddress = Address.p2wpkh(publicKey: try ChainFixtureKey.outsider(), network: .regtest).string
        let cases: [[String]] = [
            ["--to", mainnetAddress, "--amount", "1000"],
            ["--to", "bcrt1qnotanaddress", "--amount", "1000"],
            ["--to", regtestAddress],
            ["--to", regtestAddress, "--amount", "1000", "--all"],
            ["--to", regtestAddress, "--amount=-5"],
            ["--to", regtestAddress, "--amount", "1000", "--fee-rate", "0"],
            ["--to", regtestAddress, "--amount", "1000", "--network", "nowhere"],
            ["--to", regtestAddress, "--amount", "1000", "--chain", "nowhere"],
        ]
        for arguments in cases {
            let result = try PaychanProcess.run(["wallet", "send", "--dir", dir] + arguments)
            #expect(result.status == 1, "\(arguments): \(result.stderr)")
        }
        // Nothing was signed or marked spent.
        let store = try SQLiteChannelStore(path: dir + "/channels.sqlite", readOnly: true)
        let stored = try await store.walletOutputs(unspentOnly: true)
        store.close()
        #expect(Set(stored) == Set(coins))

        let tooMuch = try PaychanProcess.run([
            "wallet", "send", "--dir", dir, "--to", regtestAddress, "--amount", "5000000",
        ])
        #expect(tooMuch.status == 4, "\(tooMuch.stderr)")
    }

    @Test("send --all spends a P2WPKH coin and a P2PKH channel-key coin, signed and verified")
    func sendAll() async throws {
        let scratch = try ScratchDirectory()
        let dir = scratch.path + "/wallet"
        let coins = try await storeCoins(dir)
        let destination = Address.p2wpkh(publicKey: try ChainFixtureKey.outsider(), network: .regtest)
        let sent = try PaychanProcess.run([
            "wallet", "send", "--dir", dir, "--to", destination.string, "--all", "--fee-rate", "2", "--json",
        ])
        #expect(sent.status == 0, "\(sent.stderr)")
        let result = try sent.json()
        let hex = try #require(result["hex"] as? String)
        let transaction = try Transaction(hex: hex)
        #expect(result["txid"] as? String == transaction.txid.displayHex)
        let fee = try #require(result["fee"] as? Int)
        #expect(transaction.outputs.count == 1)
        #expect(transaction.outputs[0].scriptPubKey == destination.scriptPubKey)
        #expect(transaction.outputs[0].value.satoshis == 500_000 - Int64(fee))
        #expect(fee >= 2 * transaction.virtualSize && fee <= 2 * (transaction.virtualSize + 3))
        let spent = try transaction.inputs.map { input in
            let coin = try #require(coins.first { $0.outpoint == input.previousOutput })
            return TransactionOutput(value: coin.value, scriptPubKey: coin.scriptPubKey)
        }
        #expect(spent.count == 2)
        try ScriptVerifier.verify(transaction: transaction, spentOutputs: spent)

        let balance = try PaychanProcess.run(["wallet", "balance", "--dir", dir, "--json"]).json()
        #expect(balance["confirmed"] as? Int == 0)
    }

    /// Stores two mined coins of the directory's wallet, as if found on the chain: 300,000 on
    /// P2WPKH of receive key 0 and 200,000 on P2PKH of client channel key 0.
    private func storeCoins(_ dir: String) async throws -> [WalletOutput] {
        let created = try PaychanProcess.run(["wallet", "address", "--dir", dir])
        #expect(created.status == 0, "\(created.stderr)")
        let receive = try receiveKey(dir, 0)
        let channel = try keychain(dir).key(.clientChannel, index: 0)
        let coins = [
            WalletOutput(
                outpoint: OutPoint(
                    txid: try #require(Hash256(internalOrder: Hashing.sha256(Array("coin a".utf8)))), index: 0),
                value: try Amount(satoshis: 300_000), scriptPubKey: .p2wpkh(publicKey: receive.publicKey),
                keyFamily: .walletReceive, keyIndex: 0, confirmedHeight: 10),
            WalletOutput(
                outpoint: OutPoint(
                    txid: try #require(Hash256(internalOrder: Hashing.sha256(Array("coin b".utf8)))), index: 1),
                value: try Amount(satoshis: 200_000), scriptPubKey: .p2pkh(publicKey: channel.publicKey),
                keyFamily: .clientChannel, keyIndex: 0, confirmedHeight: 11),
        ]
        let store = try SQLiteChannelStore(path: dir + "/channels.sqlite")
        try await store.write(coins.map { .walletOutputAdded($0) })
        store.close()
        return coins
    }

    private func keychain(_ dir: String) throws -> ChannelKeychain {
        try ChannelKeychain(seed: try #require(try SeedFile.read(at: dir + "/seed")))
    }

    private func receiveKey(_ dir: String, _ index: UInt32) throws -> PrivateKey {
        try keychain(dir).key(.walletReceive, index: index)
    }
}

/// A key outside any wallet.
enum ChainFixtureKey {
    static func outsider() throws -> PublicKey {
        try PrivateKey(secretBytes: Hashing.sha256(Array("outsider".utf8))).publicKey
    }
}
