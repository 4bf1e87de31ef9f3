import Foundation

/// A server node's name in the channel claims of a shared store: `--node-id`, or this host's
/// name and process id. Names must differ between nodes running at once: a node taking a claim
/// held under its own name takes it at once, without waiting for the lease.
enum NodeIdentity {
    static func resolve(_ option: String?) throws(CommandFailure) -> String {
        guard let option else { return "\(ProcessInfo.processInfo.hostName):\(getpid())" }
        guard !option.isEmpty, option.count <= 200, !option.contains(where: \.isNewline) else {
            throw CommandFailure("--node-id must be 1 to 200 characters on one line")
        }
        return option
    }
}
