package ha

import "errors"

var (
	// ErrProtocol is returned (and logged) when a peer sends something the
	// protocol does not allow: a negative offset, a body size outside
	// 0..MaxBodySize, a transfer that does not start where the slave's log
	// ends, or an acknowledgement that goes backwards or past what the
	// master sent. The connection is closed.
	ErrProtocol = errors.New("ha: protocol error")

	// ErrDiverged is logged by the master when a slave reports an offset
	// above the master's log end: the slave holds records the master does
	// not (it followed another master, or the master lost its tail). The
	// master refuses it; the slave's store must be rebuilt.
	ErrDiverged = errors.New("ha: slave is ahead of master: diverged")

	// ErrBehindLog is logged by the master when a slave reports an offset
	// other than 0 below the master's first stored commit-log offset
	// (retention deleted what it still needs). The master refuses it; the
	// slave's store must be rebuilt (emptied, or copied from the master's).
	ErrBehindLog = errors.New("ha: slave is behind the master's first stored offset")
)
