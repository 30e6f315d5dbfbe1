import SQLKit

extension SQLDatabase {
    /// ` FOR UPDATE` on PostgreSQL, nothing on SQLite: appended to a `SELECT` whose rows the transaction is about to
    /// decide on (a key's running generations, say). PostgreSQL runs transactions side by side and needs the row lock
    /// so two of them cannot both decide on the same state; SQLite runs one writer at a time and has no such clause.
    package var forUpdate: SQLQueryString {
        self.dialect.name == "postgresql" ? " FOR UPDATE" : ""
    }

    /// ` FOR UPDATE SKIP LOCKED` on PostgreSQL, nothing on SQLite: for a `SELECT` that picks one row of a shared
    /// queue to claim. Replicas claiming at once each lock a different row instead of waiting for each other's;
    /// SQLite's single writer needs no clause.
    package var forUpdateSkipLocked: SQLQueryString {
        self.dialect.name == "postgresql" ? " FOR UPDATE SKIP LOCKED" : ""
    }
}
