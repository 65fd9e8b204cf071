package admin

import "errors"

var (
	// ErrNoNameServer is returned when Config.NameServers is empty.
	ErrNoNameServer = errors.New("admin: no name server address")
	// ErrTopicNotFound is returned when no name server has a route for the topic.
	ErrTopicNotFound = errors.New("admin: topic not found")
	// ErrNotFound is returned when a looked-up message does not exist.
	ErrNotFound = errors.New("admin: not found")
)

// DialError is in the chain of an error when a name server or broker could
// not be connected to at all (refused, unreachable, timed out): nothing was
// sent. Its message is the underlying error's.
type DialError struct {
	// Addr is the address as configured or as routed (host:port).
	Addr string
	Err  error
}

func (e *DialError) Error() string { return e.Err.Error() }

// Unwrap returns the dial error.
func (e *DialError) Unwrap() error { return e.Err }
