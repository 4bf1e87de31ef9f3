import BitcoinPrimitives
import ChannelStateMachine

/// The README's first example (also in the DocC article RawStateMachines), verbatim between the
/// markers: two pure machines, the caller moving messages between them and carrying out every
/// other effect itself.
func rawMachinesExample() throws -> Transaction? {
    // README raw begin
    let now: UInt64 = 1_750_000_000
    let serverKey = try PrivateKey(secretBytes: [UInt8](repeating: 0x11, count: 32))
    let clientKey = try PrivateKey(secretBytes: [UInt8](repeating: 0x22, count: 32))
    var server = ServerChannel(
        config: ServerChannelConfig(payoutScript: .p2wpkh(publicKey: serverKey.publicKey)),
        newChannelKey: serverKey, newChannelKeyIndex: 0)
    var client = ClientChannel(
        config: ClientChannelConfig(channelValue: try Amount(satoshis: 1_000_000)),
        serverID: "example", key: clientKey, keyIndex: 0)

    // Carry out effects: deliver messages to the other machine, fund the contract, report
    // broadcasts as done. (Persist effects would be written to your storage here, first.)
    var settlement: Transaction?
    func runClient(_ effects: [ClientEffect]) {
        for effect in effects {
            switch effect {
            case .send(let message): runServer(server.receive(bytes: message.encoded(), now: now))
            case .fundContract(let output):
                // Your wallet signs a transaction paying `output` first (segwit inputs only).
                let funding = OutPoint(txid: Hash256.one, index: 0)
                let contract = Transaction(
                    version: 2, inputs: [TransactionInput(previousOutput: funding)], outputs: [output])
                runClient(client.contractFunded(contract, now: now))
            case .report(.settled(_, let transaction)): settlement = transaction
            default: break
            }
        }
    }
    func runServer(_ effects: [ServerEffect]) {
        for effect in effects {
            switch effect {
            case .send(let message): runClient(client.receive(bytes: message.encoded(), now: now))
            case .broadcast(_, let purpose): runServer(server.broadcastCompleted(purpose, succeeded: true, now: now))
            default: break
            }
        }
    }

    runClient(client.start(now: now))  // version, initiate, contract, channel open
    for _ in 0..<10 { runClient(try client.pay(try Amount(satoshis: 1_000))) }
    runClient(client.close())  // the server settles and answers with its settlement
    // README raw end
    return settlement
}
