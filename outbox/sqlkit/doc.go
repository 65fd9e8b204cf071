// Package sqlkit is the MySQL plumbing shared by outbox, outbox/inbox and
// txcheck. It depends on database/sql only: the caller picks the driver
// (github.com/go-sql-driver/mysql in the starter, tests and examples).
//
// # Interfaces
//
// ContextExecutor is what *sql.DB, *sql.Conn and *sql.Tx have in common, so
// a function taking one runs inside the caller's transaction when given a
// *sql.Tx. Beginner starts transactions (*sql.DB, *sql.Conn); Conner hands
// out a dedicated connection (*sql.DB), which migrations need for their
// advisory lock.
//
// # Managed transactions
//
// WithTx runs a function in a transaction: it commits when the function
// returns nil, rolls back when it returns an error or panics (and then
// re-panics), and joins a failed rollback's error to the function's.
//
// # Servers
//
// The kit needs FOR UPDATE SKIP LOCKED: MySQL 8.0.1+ or MariaDB 10.6+.
// CheckServer reads VERSION() and returns ErrUnsupportedServer, naming the
// server, for anything older.
//
// # Migrations
//
// Each component embeds its schema as numbered SQL files (0001_name.sql,
// …) in an embed.FS; the table names are template parameters. Migrate
// applies the files newer than the version recorded for (component, table)
// in the schema table, under a GET_LOCK advisory lock so that processes
// starting together apply each file once. Files must be safe to run again
// (CREATE TABLE IF NOT EXISTS): DDL commits implicitly, so a crash between
// a file and its version update re-runs that file. A user without the
// needed privileges gets ErrPrivileges, which names them; a database whose
// schema is already current needs only SELECT on the schema table.
//
// # Errors
//
// ErrorNumber extracts the server's error number (1213 deadlock, 1205 lock
// wait timeout, 1062 duplicate key, …) from an error without importing a
// driver: it recognises go-sql-driver/mysql's *MySQLError by its Number
// field and otherwise the "Error 1213" text every MySQL driver prints.
// IsRetryable reports deadlocks and lock wait timeouts, which the kit
// retries instead of surfacing. IsClosed reports a closed *sql.DB, and
// MarkClosed makes such an error match ErrDBClosed, the sentinel outbox,
// outbox/inbox and txcheck share. The package's errors carry no prefix:
// the calling component adds its own, once.
package sqlkit
