package javaprops

import "errors"

// ErrMalformedEscape is returned, wrapped in an *[EscapeError] in
// [Entry].Err, when a \u escape in a key or value is not followed by four
// hex digits.
var ErrMalformedEscape = errors.New(`javaprops: malformed \uxxxx escape`)

// EscapeError is a malformed \u escape in a key or value. It wraps
// [ErrMalformedEscape].
type EscapeError struct {
	// Escape is the escape as written: `\u` and up to four characters after
	// it, for example `\u00g1`.
	Escape string
}

// Error returns "malformed \uxxxx escape", without the package prefix, so
// that a caller's "file:line: key: " prefix makes the whole message.
func (e *EscapeError) Error() string { return `malformed \uxxxx escape` }

// Unwrap returns [ErrMalformedEscape].
func (e *EscapeError) Unwrap() error { return ErrMalformedEscape }
