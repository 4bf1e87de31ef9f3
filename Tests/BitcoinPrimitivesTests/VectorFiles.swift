import Foundation

/// Locates and loads the shared test vectors (`../shared/vectors/...` beside the package root).
enum VectorFiles {
    /// The package root, found from this file's path (Tests/BitcoinPrimitivesTests/...).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The URL of a file under `../shared/vectors/`.
    static func url(_ relativePath: String) -> URL {
        packageRoot.deletingLastPathComponent().appendingPathComponent("shared/vectors/" + relativePath)
    }

    /// Parses a JSON vector file.
    static func json(_ relativePath: String) throws -> Any {
        let data = try Data(contentsOf: url(relativePath))
        return try JSONSerialization.jsonObject(with: data)
    }

    /// The rows of a JSON array file; a non-array file gives no rows.
    static func rows(_ relativePath: String) throws -> [[Any]] {
        guard let array = try json(relativePath) as? [Any] else { return [] }
        return array.compactMap { $0 as? [Any] }
    }

    /// A JSON object file.
    static func object(_ relativePath: String) throws -> [String: Any] {
        (try json(relativePath) as? [String: Any]) ?? [:]
    }
}

/// An error raised by a test helper when a vector is not in the expected shape.
struct VectorFormatError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension Array where Element == UInt8 {
    /// Decodes hex or throws a test error.
    init(testHex hex: String) throws {
        guard let bytes = [UInt8](hex: hex) else { throw VectorFormatError("not hex: \(hex.prefix(40))") }
        self = bytes
    }
}
