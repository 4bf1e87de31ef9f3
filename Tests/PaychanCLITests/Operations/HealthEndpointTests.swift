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
        #expect(try await endpoint.get("/healthz") == (200, "ok\n"))

        // Another process takes the database's write lock and holds it: no commit can be made.
        let lock = try StoreLock(database: server.directory + "/channels.sqlite")
        let locked = try await endpoint.get("/healthz")
        #expect(locked.status == 503)
        #expect(locked.body.contains("did not commit"), "\(locked.body)")

        lock.release()
        // Healthy again once the waiting commit is through (a probe has 2 s to commit: on a
        // machine stalled by other work one may time out, so ask a few times).
        var answer = try await endpoint.get("/healthz")
        for _ in 0..<10 where answer.status != 200 {
            try await Task.sleep(for: .milliseconds(500))
            answer = try await endpoint.get("/healthz")
        }
        #expect(answer == (200, "ok\n"))
        #expect(server.stop() == 0)
    }
}
