import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import Foundation

/// The README's second example (also in the DocC article ManagerOverYourConnection), verbatim
/// between the markers: the managers over a connection of the caller's (here the in-memory
/// pipe), with SQLite stores and seed files.
func managerExample(directory: String) async throws -> (PaymentReceipt, Transaction?) {
    // README manager begin
    let clock = SystemClock()
    let chain = MemoryChain(clock: clock)  // or your own ChainBackend

    let serverKeys = try ChannelKeychain(seed: SeedFile.loadOrCreate(at: directory + "/server.seed"))
    let payout = Script.p2wpkh(publicKey: try serverKeys.key(.walletReceive, index: 0).publicKey)
    let server = try ServerManager(
        config: ServerManagerConfig(channel: ServerChannelConfig(payoutScript: payout)),
        store: try SQLiteChannelStore(path: directory + "/server.sqlite", clock: clock),
        chain: chain, keychain: serverKeys)
    try await server.start()

    let clientKeys = try ChannelKeychain(seed: SeedFile.loadOrCreate(at: directory + "/client.seed"))
    let clientStore = try SQLiteChannelStore(path: directory + "/client.sqlite", clock: clock)
    let wallet = try await SeedWallet(keychain: clientKeys, store: clientStore, chain: chain)
    try await chain.fund(wallet, amount: try Amount(satoshis: 2_000_000))  // regtest coins
    let client = ClientManager(
        config: ClientManagerConfig(), store: clientStore, chain: chain, funder: wallet, keychain: clientKeys)
    try await client.start()

    // Any transport: hand each received message body to `receive`, report the end of the
    // connection with `connectionClosed`.
    let pipe = InMemoryPipe()
    let serverSession = try await server.accept(pipe.serverEnd)
    pipe.serverEnd.attach(serverSession.receive, closed: serverSession.connectionClosed)
    let session = try client.connect(serverID: "pay.example:4242", connection: pipe.clientEnd)
    pipe.clientEnd.attach(session.receive, closed: session.connectionClosed)

    _ = try await session.open(value: try Amount(satoshis: 1_000_000))
    let receipt = try await session.pay(try Amount(satoshis: 1_000), info: Array("coffee".utf8))
    let settlement = try await session.close()
    // README manager end
    await server.shutdown()
    await client.shutdown()
    return (receipt, settlement)
}
