package rpc

import (
	"context"
	"errors"
	"time"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

var (
	// ErrClosed is returned when a Conn or Pool is used after Close, and by
	// the calls that were still waiting for a response when Close ran.
	ErrClosed = errors.New("rpc: connection closed")

	// ErrConnBroken is returned when the connection failed under a call: the
	// server closed it (EOF), a read or write failed or timed out, or the
	// server sent a frame that cannot be decoded or exceeds
	// Options.MaxFrameSize. The error that broke it is wrapped alongside, so
	// errors.Is(err, io.EOF) or errors.Is(err, remoting.ErrMalformed) tell
	// the causes apart.
	ErrConnBroken = errors.New("rpc: connection broken")
)

// ConnError is what Conn.Err returns once a connection has ended, and what a
// CallError wraps when the connection ended under the call. It unwraps to
// ErrClosed when Close ended it, and to both ErrConnBroken and the cause
// when it failed.
type ConnError struct {
	Addr string // the address the Conn was dialed to
	Err  error  // ErrClosed, or the error that broke the connection
}

// Error reports the address and the cause, e.g.
// "rpc: connection to 127.0.0.1:10911 broken: EOF".
func (e *ConnError) Error() string { return "rpc: connection to " + e.Addr + " " + e.state() }

// state is the message without the address: "closed" or "broken: <cause>".
func (e *ConnError) state() string {
	if errors.Is(e.Err, ErrClosed) {
		return "closed"
	}
	return "broken: " + e.Err.Error()
}

// Unwrap returns ErrClosed, or ErrConnBroken and the cause.
func (e *ConnError) Unwrap() []error {
	if errors.Is(e.Err, ErrClosed) {
		return []error{ErrClosed}
	}
	return []error{ErrConnBroken, e.Err}
}

// CallError is returned by Call and Oneway (and passed to a CallAsync
// callback) when a request got no response or could not be sent: the
// caller's context ended or the request timeout passed (Err wraps
// context.DeadlineExceeded or context.Canceled), the connection ended
// first (Err is a *ConnError), or the request cannot be encoded (Err wraps
// remoting.ErrFrameTooLarge). It names the request and the address so a
// log line alone says what failed where.
type CallError struct {
	Addr string // the address the request was sent to
	Code int16  // the request code
	Err  error  // the context's error, or a *ConnError
}

// Error reports the request, the address and the cause, e.g.
// "rpc: GET_MAX_OFFSET to 127.0.0.1:10911: context deadline exceeded".
func (e *CallError) Error() string {
	s := "rpc: " + remoting.RequestName(e.Code) + " to " + e.Addr + ": "
	var ce *ConnError
	if errors.As(e.Err, &ce) && ce.Addr == e.Addr {
		return s + "connection " + ce.state()
	}
	return s + e.Err.Error()
}

// Unwrap returns Err.
func (e *CallError) Unwrap() error { return e.Err }

var (
	_ error = (*ConnError)(nil)
	_ error = (*CallError)(nil)
	_ error = (*timeoutError)(nil)
)

// timeoutError is the cause of a CallError when Options.RequestTimeout (for
// a context without deadline) or a CallAsync timeout ran out. It unwraps to
// context.DeadlineExceeded, as a context's own deadline would.
type timeoutError struct{ d time.Duration }

func (e *timeoutError) Error() string {
	return "no response within " + e.d.String() + ": " + context.DeadlineExceeded.Error()
}

func (e *timeoutError) Unwrap() error { return context.DeadlineExceeded }
