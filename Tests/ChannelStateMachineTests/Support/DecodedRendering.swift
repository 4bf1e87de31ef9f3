import BitcoinPrimitives
import ChannelStateMachine
import Foundation

/// Renders a decoded message in the fixtures' `decoded` JSON shape, so the two can be compared
/// as canonical JSON text.
enum DecodedRendering {
    static func render(_ message: ChannelMessage) -> [String: Any] {
        var out: [String: Any] = ["type": message.type.protoName]
        switch message {
        case .clientVersion(let v):
            var d: [String: Any] = ["major": Int(v.major)]
            if v.hasMinor { d["minor"] = Int(v.minor) }
            if v.hasTimeWindowSecs { d["time_window_secs"] = v.timeWindowSecs }
            if let hash = v.previousChannelContractHash { d["previous_channel_contract_hash"] = hash.displayHex }
            out["client_version"] = d
        case .serverVersion(let v):
            var d: [String: Any] = ["major": Int(v.major)]
            if v.hasMinor { d["minor"] = Int(v.minor) }
            out["server_version"] = d
        case .initiate(let i):
            out["initiate"] = [
                "multisig_key": i.multisigKey.bytes.hex, "min_accepted_channel_size": i.minAcceptedChannelSize,
                "expire_time_secs": i.expireTimeSecs, "min_payment": i.minPayment,
            ]
        case .provideRefund(let r):
            out["provide_refund"] = ["multisig_key": r.multisigKey.bytes.hex, "tx": tx(r.tx)]
        case .returnRefund(let r):
            out["return_refund"] = ["signature": r.signature.hex]
        case .provideContract(let c):
            var d: [String: Any] = ["tx": tx(c.tx), "initial_payment": payment(c.initialPayment)]
            if let key = c.clientKey { d["client_key"] = key.bytes.hex }
            out["provide_contract"] = d
        case .channelOpen:
            break
        case .updatePayment(let p):
            out["update_payment"] = payment(p)
        case .paymentAck(let ack):
            if let ack { out["payment_ack"] = info(ack.info) }
        case .close(let settlement):
            if let settlement { out["settlement"] = ["tx": tx(settlement.tx)] }
        case .error(let e):
            var d: [String: Any] = [:]
            if e.hasCode { d["code"] = "\(e.code.protoName) (\(e.code.rawValue))" }
            if let explanation = e.explanation { d["explanation"] = explanation }
            if let expected = e.expectedValue { d["expected_value"] = expected }
            out["error"] = d
        }
        return out
    }

    /// The fixture's `decoded`, without the annotations this renderer does not produce
    /// (`signature_sighash`, `*_note`).
    static func stripAnnotations(_ value: Any) -> Any {
        if let dict = value as? [String: Any] {
            var out: [String: Any] = [:]
            for (key, inner) in dict where key != "signature_sighash" && !key.hasSuffix("_note") {
                out[key] = stripAnnotations(inner)
            }
            return out
        }
        return value
    }

    /// Canonical JSON text (sorted keys) for comparison.
    static func canonical(_ object: Any) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    private static func tx(_ tx: WireTransaction) -> [String: Any] {
        ["hex": tx.bytes.hex, "txid": tx.txid.displayHex]
    }

    private static func payment(_ p: UpdatePayment) -> [String: Any] {
        var d: [String: Any] = ["client_change_value": p.clientChangeValue, "signature": p.signature.hex]
        d.merge(info(p.info)) { a, _ in a }
        return d
    }

    private static func info(_ info: [UInt8]?) -> [String: Any] {
        guard let info else { return [:] }
        return ["info": info.hex, "info_utf8": String(decoding: info, as: UTF8.self)]
    }
}
