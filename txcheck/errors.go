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
	// ErrUnsupportedServer is returned by Start (migrations) on servers
	// older than MySQL 8.0.1 or MariaDB 10.6.
	ErrUnsupportedServer = sqlkit.ErrUnsupportedServer
	// ErrPrivileges is returned by Start (migrations) when the user may
	// not create or use the table.
	ErrPrivileges = sqlkit.ErrPrivileges
)
