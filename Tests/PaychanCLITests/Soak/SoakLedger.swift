/// Where a client run was when its server or itself was killed, from its progress lines.
enum SoakPhase: String, CaseIterable, Sendable {
    /// Before the channel was (re)opened.
    case opening
    /// Opened, before asking to close.
    case paying
    /// After asking the server to close.
    case closing

    /// The phase a run is in after printing `lines`.
    init(after lines: [String]) {
        if lines.contains(where: { $0.hasPrefix("closing ") || $0.hasPrefix("settled ") }) {
            self = .closing
        } else if lines.contains(where: { $0.hasPrefix("opened ") || $0.hasPrefix("reopened ") }) {
            self = .paying
        } else {
            self = .opening
        }
    }
}

/// What the client runs reported over a soak: per channel, the highest cumulative amount the
/// server acknowledged; and counts.
struct SoakLedger {
    /// Contract txid (display hex) → the highest cumulative amount acknowledged for it.
    private(set) var acknowledged: [String: Int64] = [:]
    /// Contract txid → the settlement txid a client run received.
    private(set) var settlementsReceived: [String: String] = [:]
    private(set) var paymentsAcknowledged = 0
    private(set) var channelsOpened = 0
    private(set) var reopens = 0
    private(set) var closesAsked = 0
    private(set) var malformed: [String] = []
    /// The channel the latest run opened or reopened.
    private(set) var lastChannel: String?
    var kills: [SoakPhase: Int] = [:]

    var totalKills: Int { kills.values.reduce(0, +) }

    /// Takes in the progress lines of one run (the `--json` outcome line is skipped).
    mutating func absorb(_ lines: [String]) {
        for line in lines where !line.hasPrefix("{") {
            let words = line.split(separator: " ").map(String.init)
            switch (words.first, words.count) {
            case ("opened", 4):
                channelsOpened += 1
                lastChannel = words[1]
                note(words[1], acked: words[3])
            case ("reopened", 3):
                reopens += 1
                lastChannel = words[1]
            case ("paid", 3):
                paymentsAcknowledged += 1
                note(words[1], acked: words[2])
            case ("closing", 2):
                closesAsked += 1
            case ("settled", 3):
                settlementsReceived[words[1]] = words[2]
            default:
                malformed.append(line)
            }
        }
    }

    private mutating func note(_ txid: String, acked text: String) {
        guard let acked = Int64(text) else {
            malformed.append("\(txid) \(text)")
            return
        }
        acknowledged[txid] = max(acknowledged[txid] ?? 0, acked)
    }
}
