package sqlkit

import "errors"

var (
	// ErrUnsupportedServer is returned by CheckServer and Migrate when the
	// server is older than MySQL 8.0.1 or MariaDB 10.6 (no SKIP LOCKED).
	ErrUnsupportedServer = errors.New("sqlkit: unsupported database server")
	// ErrPrivileges is returned by Migrate when the user may not create or
	// read the kit's tables.
	ErrPrivileges = errors.New("sqlkit: missing database privileges")
	// ErrInvalidTableName is returned when a configured table name is not a
	// plain identifier (letters, digits, _ and $, at most 64 characters,
	// optionally qualified as database.table).
	ErrInvalidTableName = errors.New("sqlkit: invalid table name")
	// ErrMigrationLock is returned by Migrate when another process held the
	// migration lock for longer than the timeout.
	ErrMigrationLock = errors.New("sqlkit: migration lock not acquired")
)
