/// Runs `body`, then `cleanup` however `body` ended, and gives back what `body` gave or threw. Swift has no async
/// `defer`, and a test that throws past its own cleanup is worse than a failure: a SQLite connection left open stops
/// the whole test process at SQLiteNIO's deinit assertion (a CI run lost every later result so), a server left
/// running holds its port.
package func withCleanup<T>(_ body: () async throws -> T, cleanup: () async -> Void) async throws -> T {
    let result: T
    do {
        result = try await body()
    } catch {
        await cleanup()
        throw error
    }
    await cleanup()
    return result
}
