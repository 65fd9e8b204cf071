package outbox

import (
	"errors"

	"github.com/rocketkit/rocketkit/outbox/sqlkit"
)

var (
	// ErrEncode is returned by Publish when the codec cannot encode a
	// payload; nothing was written and the caller's transaction is intact.
	ErrEncode = errors.New("outbox: cannot encode payload")
	// ErrInvalidMessage is returned by Publish when a message's
	// destination, key, keys, sharding key, properties or delay level are
	// not acceptable to RocketMQ or to the outbox table.
	ErrInvalidMessage = errors.New("outbox: invalid message")
	// ErrPayloadTooLarge is returned by Publish when an encoded payload
	// exceeds Config.MaxPayloadSize.
	ErrPayloadTooLarge = errors.New("outbox: payload too large")
	// ErrInvalidConfig is returned by NewPublisher and NewRelay when the
	// configuration does not validate.
	ErrInvalidConfig = errors.New("outbox: invalid config")
	// ErrDBClosed matches (errors.Is) the error returned when the *sql.DB
	// was closed: Publish, WithTx and a running relay report it instead of
	// retrying. It is sqlkit.ErrDBClosed, as are inbox.ErrDBClosed and
	// txcheck.ErrDBClosed.
	ErrDBClosed = sqlkit.ErrDBClosed
	// ErrRelayStarted is returned by Relay.Start and Relay.Run when the
	// relay is already running.
	ErrRelayStarted = errors.New("outbox: relay already running")
	// ErrRelayClosed is returned by Relay.Start and Relay.Run after Close.
	ErrRelayClosed = errors.New("outbox: relay closed")
)

// Errors of the shared SQL layer, re-exported for errors.Is.
var (
	// ErrUnsupportedServer is returned by Migrate (and Relay.Start) on
	// servers older than MySQL 8.0.1 or MariaDB 10.6.
	ErrUnsupportedServer = sqlkit.ErrUnsupportedServer
	// ErrPrivileges is returned by Migrate (and Relay.Start) when the
	// database user may not create or use the outbox table.
	ErrPrivileges = sqlkit.ErrPrivileges
)

// dbErr makes database/sql's closed-database error match ErrDBClosed,
// keeping its text and chain.
func dbErr(err error) error { return sqlkit.MarkClosed(err) }
