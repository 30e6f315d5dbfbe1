import Essentials
import PostgresNIO
import SQLiteNIO

extension FullMark {
    /// `error` as a `StorageFullError` when the database refused a write for want of space (SQLite's `SQLITE_FULL`,
    /// PostgreSQL's `53100 disk_full`), noting the refusal; any other error unchanged, so callers still catch
    /// their own (an insufficient balance, a lost lease) by type.
    func database(_ error: any Error) -> any Error {
        let full: Bool =
            switch error {
            case let error as SQLiteError: error.reason == .full
            case let error as PSQLError: error.serverInfo?[.sqlState] == PostgresError.Code.diskFull.raw
            default: false
            }
        guard full else { return error }
        self.noteRefusal()
        return StorageFullError(.database, detail: "\(error)")
    }
}
