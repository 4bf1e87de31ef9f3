import Foundation

/// The bitcoinj golden fixtures in `<package root>/../shared/vectors/bitcoinj/`.
enum Fixtures {
    /// The channel conversation files and errors.json.
    static let channelFiles = ["v1-open-pay-close.json", "v2-open-pay-close.json", "v2-reopen.json"]
    static let errorsFile = "errors.json"

    /// One recorded wire message.
    struct Message {
        let file: String
        let label: String
        let type: String
        let bytes: [UInt8]
        let decoded: [String: Any]
    }

    static var directory: URL {
        // <root>/Tests/ChannelStateMachineTests/Support/Fixtures.swift
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("shared/vectors/bitcoinj")
    }

    static func load(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: directory.appendingPathComponent(name))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw FixtureError.badFormat(name)
        }
        return object
    }

    /// Every recorded message with `hex`, from all four files, in file order.
    static func allMessages() throws -> [Message] {
        var result: [Message] = []
        for file in channelFiles {
            let entries = try load(file)["messages"] as? [[String: Any]] ?? []
            result += try messages(in: entries, file: file, label: file)
        }
        let exchanges = try load(errorsFile)["exchanges"] as? [[String: Any]] ?? []
        for exchange in exchanges {
            let entries = exchange["messages"] as? [[String: Any]] ?? []
            result += try messages(in: entries, file: errorsFile, label: exchange["id"] as? String ?? "?")
        }
        return result
    }

    private static func messages(in entries: [[String: Any]], file: String, label: String) throws -> [Message] {
        try entries.compactMap { entry in
            guard let hex = entry["hex"] as? String else { return nil }
            guard let bytes = [UInt8](hex: hex), let decoded = entry["decoded"] as? [String: Any],
                let type = entry["type"] as? String
            else { throw FixtureError.badFormat("\(file) \(label)") }
            let seq = entry["seq"].map { "\($0)" } ?? "?"
            return Message(file: file, label: "\(label)#\(seq) \(type)", type: type, bytes: bytes, decoded: decoded)
        }
    }

    enum FixtureError: Error { case badFormat(String) }
}
