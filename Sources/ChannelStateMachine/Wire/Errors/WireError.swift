/// Why a received message was refused by the codec, and what to answer.
///
/// ``code`` is the bitcoinj error code the receiver should put in its `ERROR` reply
/// (``ErrorCode/syntaxError`` for malformed or missing fields, ``ErrorCode/badTransaction`` for
/// transactions, keys and signatures that fail, and so on); ``explanation`` is a short text
/// for that reply and for logs; ``reason`` classifies the failure for code that reacts to it.
public struct WireError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The class of failure. New reasons may be added.
    public struct Reason: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case messageTooLarge
            case malformed
            case unknownMessageType
            case missingPayload
            case invalidPublicKey
            case invalidTransaction
            case invalidSignature
            case invalidHash
            case amountOutOfRange
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The message is longer than ``WireLimits/maxMessageSize``.
        public static let messageTooLarge = Reason(.messageTooLarge)
        /// The bytes are not a valid `TwoWayChannelMessage`: truncated, a bad tag or length, a
        /// wrong wire type, or a missing required field (protobuf-c refused them).
        public static let malformed = Reason(.malformed)
        /// `type` is a number this protocol does not define.
        public static let unknownMessageType = Reason(.unknownMessageType)
        /// The field that `type` names is absent.
        public static let missingPayload = Reason(.missingPayload)
        /// A public key field is not a canonical 33- or 65-byte encoding of a valid point.
        public static let invalidPublicKey = Reason(.invalidPublicKey)
        /// A transaction field does not parse.
        public static let invalidTransaction = Reason(.invalidTransaction)
        /// A signature field has an absurd length.
        public static let invalidSignature = Reason(.invalidSignature)
        /// A hash field is not 32 bytes.
        public static let invalidHash = Reason(.invalidHash)
        /// An amount field is above 21e6 BTC.
        public static let amountOutOfRange = Reason(.amountOutOfRange)

        /// A short name for the reason.
        public var description: String {
            switch base {
            case .messageTooLarge: return "messageTooLarge"
            case .malformed: return "malformed"
            case .unknownMessageType: return "unknownMessageType"
            case .missingPayload: return "missingPayload"
            case .invalidPublicKey: return "invalidPublicKey"
            case .invalidTransaction: return "invalidTransaction"
            case .invalidSignature: return "invalidSignature"
            case .invalidHash: return "invalidHash"
            case .amountOutOfRange: return "amountOutOfRange"
            }
        }
    }

    /// The class of failure.
    public let reason: Reason
    /// The bitcoinj error code to answer with.
    public let code: ErrorCode
    /// A short explanation, suitable for the `ERROR` reply.
    public let explanation: String
    /// The message's type, when the envelope was readable far enough to tell.
    public let messageType: MessageType?

    /// Creates an error.
    public init(reason: Reason, code: ErrorCode, explanation: String, messageType: MessageType?) {
        self.reason = reason
        self.code = code
        self.explanation = explanation
        self.messageType = messageType
    }

    /// The ``ErrorMessage`` that answers this failure.
    public var errorMessage: ErrorMessage { ErrorMessage(code: code, explanation: explanation) }

    /// `<code> (<reason>): <explanation>`.
    public var description: String { "\(code) (\(reason)): \(explanation)" }
}
