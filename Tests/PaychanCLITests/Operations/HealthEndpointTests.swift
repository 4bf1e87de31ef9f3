import Foundation
import Testing

/// `/healthz` of `paychan server --metrics`: 503 while the store cannot commit, 200 again once it
/// can.
@Suite("paychan server --metrics: /healthz follows the store")
struct HealthEndpointTests {
    @Test(
        "503 while another process holds the store's write lock, 200 once it lets go",
        .enabled(if: StoreLock.available, "the sqlite3 program is not installed (Scripts/test installs it)"))
    func unhealthyWhileTheStoreIsLocked() async throws {
        let scratch = try ScratchDirectory()
        let (server, endpoint) = try OperationsEndpoint.server(in: scratch)
        defer { server.stop() }
        #expect(try await Self.healthy(endpoint))

        // Another process takes the database's write lock and holds it: no commit can be made.
        let lock = try StoreLock(database: server.directory + "/channels.sqlite")
        let locked = try await endpoint.get("/healthz")
        #expect(locked.status == 503)
        #expect(locked.body.contains("did not commit"), "\(locked.body)")

        lock.release()
        // Healthy again once the waiting commit is through.
        #expect(try await Self.healthy(endpoint))
        #expect(server.stop() == 0)
    }

    /// Whether `/healthz` answers `200 ok` within a few tries: a probe has 2 s to commit, and on
    /// a machine stalled by other work one may time out.
    private static func healthy(_ endpoint: OperationsEndpoint) async throws -> Bool {
        for _ in 0..<10 {
            let answer = try await endpoint.get("/healthz")
            if answer == (200, "ok\n") { return true }
            try await Task.sleep(for: .milliseconds(500))
        }
        return false
    }
}
