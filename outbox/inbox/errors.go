package inbox

import (
	"errors"

	"github.com/rocketkit/rocketkit/outbox/sqlkit"
)

var (
	// ErrNoKey is returned by Handle when the key is empty.
	ErrNoKey = errors.New("inbox: message has no key")
	// ErrKeyTooLong is returned by Handle when the key exceeds 128 bytes.
	ErrKeyTooLong = errors.New("inbox: key too long")
	// ErrInvalidConfig is returned by New when the configuration does not
	// validate.
	ErrInvalidConfig = errors.New("inbox: invalid config")
	// ErrDBClosed matches (errors.Is) the error Handle, Prune and Migrate
	// return when the *sql.DB was closed. It is sqlkit.ErrDBClosed, as are
	// outbox.ErrDBClosed and txcheck.ErrDBClosed.
	ErrDBClosed = sqlkit.ErrDBClosed
	// ErrUnsupportedServer is returned by Migrate on servers older than
	// MySQL 8.0.1 or MariaDB 10.6.
	ErrUnsupportedServer = sqlkit.ErrUnsupportedServer
	// ErrPrivileges is returned by Migrate when the user may not create or
	// use the inbox table.
	ErrPrivileges = sqlkit.ErrPrivileges
)

// errDuplicate rolls back a transaction whose key was already recorded.
var errDuplicate = errors.New("inbox: duplicate")
