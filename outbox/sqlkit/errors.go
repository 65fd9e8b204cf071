package sqlkit

import "errors"

// The sentinels carry no package prefix: like every error of this
// package, they reach users wrapped by the component that called it
// ("outbox: migrate outbox: unsupported database server: ..."), and
// outbox, outbox/inbox and txcheck re-export them.
var (
	// ErrUnsupportedServer is returned by CheckServer and Migrate when the
	// server is older than MySQL 8.0.1 or MariaDB 10.6 (no SKIP LOCKED).
	ErrUnsupportedServer = errors.New("unsupported database server")
	// ErrPrivileges is returned by Migrate when the user may not create or
	// read the kit's tables.
	ErrPrivileges = errors.New("missing database privileges")
	// ErrInvalidTableName is returned when a configured table name is not a
	// plain identifier (letters, digits, _ and $, at most 64 characters,
	// optionally qualified as database.table).
	ErrInvalidTableName = errors.New("invalid table name")
	// ErrMigrationLock is returned by Migrate when another process held the
	// migration lock for longer than the timeout.
	ErrMigrationLock = errors.New("migration lock not acquired")
	// ErrDBClosed matches (errors.Is) the errors MarkClosed marks: the
	// *sql.DB was closed, which no retry can fix. outbox.ErrDBClosed,
	// inbox.ErrDBClosed and txcheck.ErrDBClosed are this error.
	ErrDBClosed = errors.New("database is closed")
)

// MarkClosed returns err so that errors.Is(err, ErrDBClosed) holds when
// IsClosed(err) does, keeping err's text (one prefix per error) and its
// chain; other errors, and nil, are returned as they are.
func MarkClosed(err error) error {
	if err == nil || errors.Is(err, ErrDBClosed) || !IsClosed(err) {
		return err
	}
	return closedError{err}
}

// closedError is an error that says the database was closed.
type closedError struct{ err error }

func (e closedError) Error() string        { return e.err.Error() }
func (e closedError) Unwrap() error        { return e.err }
func (e closedError) Is(target error) bool { return target == ErrDBClosed }
