/// Keeps a run's lease alive while the run works, and stops the run when the lease is lost.
///
/// The work runs in one child task; a sibling renews the lease every `interval`. A renewal that the database
/// refuses (the lease is another run's now) cancels the work, which then ends without settling; one that fails
/// in transit is tried again at the next interval. Either way the settle statement itself is guarded by the owner,
/// so a run that lost its lease can never move money.
enum LeaseKeeper {
    /// What a renewal found.
    enum Renewal: Sendable {
        case renewed
        case lost
        /// Not known (the database did not answer): tried again at the next interval.
        case failed
    }

    private enum Finished<T: Sendable>: Sendable {
        case work(T)
        case keeper
    }

    static func holding<T: Sendable>(
        every interval: Duration,
        renew: @escaping @Sendable () async -> Renewal,
        _ work: @escaping @Sendable () async -> T
    ) async -> T {
        await withTaskGroup(of: Finished<T>.self) { group in
            group.addTask { .work(await work()) }
            group.addTask {
                while true {
                    do {
                        try await Task.sleep(for: interval)
                    } catch {
                        return .keeper  // the work ended first
                    }
                    if case .lost = await renew() { return .keeper }
                }
            }
            var result: T?
            while let finished = await group.next() {
                switch finished {
                case .work(let value):
                    result = value
                    group.cancelAll()
                case .keeper:
                    group.cancelAll()  // the lease is lost: stop the work (it ends as interrupted)
                }
            }
            return result!
        }
    }
}
