import BitcoinPrimitives
import NIOCore
import NIOSSL
import Synchronization

/// The verification of a pinned server key, replacing NIOSSL's chain and name checks: the
/// leaf certificate's SubjectPublicKeyInfo must hash (SHA-256) to the pin. Remembers why it
/// refused, for the error the connection fails with.
final class PinCheck: Sendable {
    private let pin: [UInt8]
    private let refusal = Mutex<String?>(nil)

    init(pin: [UInt8]) {
        self.pin = pin
    }

    /// Why the server's certificate was refused, if it was.
    var refusalReason: String? { refusal.withLock { $0 } }

    /// NIOSSL's custom verification callback (on the event loop, during the handshake).
    func verify(_ certificates: [NIOSSLCertificate], _ promise: EventLoopPromise<NIOSSLVerificationResult>) {
        guard let leaf = certificates.first else {
            refusal.withLock { $0 = "the server presented no certificate" }
            promise.succeed(.failed)
            return
        }
        guard let presented = PublicKeyPin.sha256(of: leaf) else {
            refusal.withLock { $0 = "the server's certificate has no readable public key" }
            promise.succeed(.failed)
            return
        }
        guard presented == pin else {
            refusal.withLock {
                $0 = "the server's public key (SPKI SHA-256 \(presented.hex)) is not the pinned one (\(pin.hex))"
            }
            promise.succeed(.failed)
            return
        }
        promise.succeed(.certificateVerified)
    }
}
