package txcheck

import (
	"errors"

	"github.com/rocketkit/rocketkit/outbox/sqlkit"
)

var (
	// ErrInvalidConfig is returned by New and NewSweeper when the
	// configuration does not validate.
	ErrInvalidConfig = errors.New("txcheck: invalid config")
	// ErrNotStarted is returned by SendInTransaction before Start or after
	// Close.
	ErrNotStarted = errors.New("txcheck: producer not started")
	// ErrHalfMessage is returned by SendInTransaction when the half
	// message could not be stored; the local transaction did not run.
	ErrHalfMessage = errors.New("txcheck: half message not stored")
	// ErrOutcomeUnknown is returned by SendInTransaction when the local
	// transaction's commit failed without saying whether it happened; the
	// broker's check-back will find out from the table.
	ErrOutcomeUnknown = errors.New("txcheck: local transaction outcome unknown")
	// ErrUnknown is returned by a TxFunc (possibly wrapped) whose local
	// transaction is to commit while its message's outcome stays unknown:
	// the producer commits the transaction (and the message's key), tells
	// the broker Unknown, and the broker's check-back decides — from the
	// key table (present: commit) or the route's Checker (WithChecker),
	// which may know more by then. SendInTransaction returns no error and
	// Result.State Unknown. Unlike ErrOutcomeUnknown, which
	// SendInTransaction returns when a commit failed without saying
	// whether it happened, ErrUnknown is the caller's choice: for flows
	// whose outcome is decided later, and for tests of check-backs
	// (broker/brokertest.CheckBackNow).
	ErrUnknown = errors.New("txcheck: outcome left to the check-back")
	// ErrDBClosed matches (errors.Is) the errors returned when a *sql.DB
	// was closed (SendInTransaction, Migrate, the Sweeper; a check-back
	// answers unknown). It is sqlkit.ErrDBClosed, as are
	// outbox.ErrDBClosed and inbox.ErrDBClosed.
	ErrDBClosed = sqlkit.ErrDBClosed
	// ErrUnsupportedServer is returned by Start (migrations) on servers
	// older than MySQL 8.0.1 or MariaDB 10.6.
	ErrUnsupportedServer = sqlkit.ErrUnsupportedServer
	// ErrPrivileges is returned by Start (migrations) when the user may
	// not create or use the table.
	ErrPrivileges = sqlkit.ErrPrivileges
)
