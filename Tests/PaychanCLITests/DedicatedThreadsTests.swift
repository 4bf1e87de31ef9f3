import Foundation
import PaychanTestSupport
import Testing

/// The trait that keeps this target's blocking tests off the cooperative pool does so, for
/// synchronous tests, asynchronous ones after they suspend, and their child tasks.
@Suite("tests marked .onDedicatedThreads run off the cooperative pool", .onDedicatedThreads)
struct DedicatedThreadsTests {
    @Test("a synchronous test")
    func synchronousTest() {
        #expect(DedicatedThreadExecutor.isCurrentThread)
    }

    @Test("an asynchronous test, after a suspension, and its child tasks")
    func asynchronousTest() async throws {
        #expect(DedicatedThreadExecutor.isCurrentThread)
        try await Task.sleep(for: .milliseconds(1))
        #expect(DedicatedThreadExecutor.isCurrentThread)
        let children = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<3 { group.addTask { DedicatedThreadExecutor.isCurrentThread } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(children == [true, true, true])
    }

    @Test("a detached task, which inherits no executor preference, runs on the pool")
    func withoutTrait() async {
        let onDedicated = await Task.detached { DedicatedThreadExecutor.isCurrentThread }.value
        #expect(!onDedicated)
    }
}
