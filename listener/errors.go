package listener

import (
	"errors"
	"fmt"
)

var (
	// ErrInvalidTag is matched (errors.Is) by every *TagError: a listener's
	// marker field carries a tag that does not follow the grammar in the
	// package documentation, or a placeholder it uses is not set.
	ErrInvalidTag = errors.New("listener: invalid tag")
	// ErrNoMarker is returned by Parse when the listener struct has no field
	// of type Orderly or Concurrent, or has more than one.
	ErrNoMarker = errors.New("listener: no listener.Orderly or listener.Concurrent field")
	// ErrNoHandler is returned by Parse when the listener has no Handle or
	// HandleBatch method matching its tags.
	ErrNoHandler = errors.New("listener: no handler method")
	// ErrDiscard is matched by errors returned from Discard: the message is
	// dead-lettered at once instead of being retried.
	ErrDiscard = errors.New("listener: message discarded")
	// ErrPanic is matched by *PanicError: the handler panicked.
	ErrPanic = errors.New("listener: handler panicked")
	// ErrInterrupted is reported (Result.Err) for a delivery whose handler
	// was stopped by shutdown: it was not acknowledged and is delivered
	// again later, to this service after a restart or to another member.
	ErrInterrupted = errors.New("listener: handler interrupted by shutdown")
)

// TagError is a bad listener annotation. Its message names the listener
// type, the marker field and the tag, e.g.
//
//	listener BillOrders, field Orderly: tag consumers: "many" is not a number
type TagError struct {
	Listener string // listener type name, e.g. "BillOrders"
	Field    string // marker field name, e.g. "Orderly"
	Tag      string // tag key, e.g. "consumers"; empty for the whole tag
	Err      error
}

func (e *TagError) Error() string {
	if e.Tag == "" {
		return fmt.Sprintf("listener %s, field %s: %v", e.Listener, e.Field, e.Err)
	}
	return fmt.Sprintf("listener %s, field %s: tag %s: %v", e.Listener, e.Field, e.Tag, e.Err)
}

// Unwrap returns the underlying problem.
func (e *TagError) Unwrap() error { return e.Err }

// Is reports whether target is ErrInvalidTag.
func (e *TagError) Is(target error) bool { return target == ErrInvalidTag }

// Discard marks err as permanent: instead of being retried, the message
// goes to the group's dead-letter queue (%DLQ%group) at once. Use it for
// messages that can never succeed (undecodable payloads, unknown types).
// Discard(nil) returns a non-nil error. The result matches ErrDiscard and
// unwraps to err.
func Discard(err error) error {
	if err == nil {
		err = errors.New("discarded")
	}
	return &discardError{err: err}
}

type discardError struct{ err error }

func (e *discardError) Error() string        { return "discard: " + e.err.Error() }
func (e *discardError) Unwrap() error        { return e.err }
func (e *discardError) Is(target error) bool { return target == ErrDiscard }

// PanicError is a recovered handler panic. It matches ErrPanic.
type PanicError struct {
	Value any    // what the handler panicked with
	Stack []byte // the panicking goroutine's stack
}

func (e *PanicError) Error() string        { return fmt.Sprintf("listener: handler panicked: %v", e.Value) }
func (e *PanicError) Is(target error) bool { return target == ErrPanic }

// Unwrap returns the panic value if it is an error.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}
