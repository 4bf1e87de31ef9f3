import ChannelManager
import Foundation
import Testing

@Suite("SeedFile")
struct SeedFileTests {
    static func directory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("paychan-seed-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        return path
    }

    @Test("creates a 32-byte file readable by its owner only, nothing else, and reads it back")
    func createsThenReads() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/seed"
        let seed = try SeedFile.loadOrCreate(at: path)
        #expect(seed.count == SeedFile.length)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect((attributes[.size] as? NSNumber)?.intValue == SeedFile.length)
        // Written through a temporary file, which is gone.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["seed"])
        #expect(try SeedFile.loadOrCreate(at: path) == seed)
        #expect(try SeedFile.read(at: path) == seed)
    }

    @Test("creators racing for a new seed all get the same one")
    func concurrentCreatorsAgree() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/seed"
        let seeds = await withTaskGroup(of: [UInt8]?.self) { group in
            for _ in 0..<8 { group.addTask { try? SeedFile.loadOrCreate(at: path) } }
            var all: [[UInt8]?] = []
            for await seed in group { all.append(seed) }
            return all
        }
        #expect(seeds.count == 8)
        #expect(Set(seeds.map { $0 ?? [] }).count == 1)
        #expect(seeds.allSatisfy { $0?.count == SeedFile.length })
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["seed"])
    }

    @Test("a file of another length is refused, not replaced")
    func shortFileIsRefused() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/seed"
        #expect(FileManager.default.createFile(atPath: path, contents: Data(), attributes: [.posixPermissions: 0o600]))
        #expect(throws: SeedFileError.self) { try SeedFile.loadOrCreate(at: path) }
        #expect((try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue == 0)
    }
}
