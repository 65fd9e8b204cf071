package remoting

import "errors"

var (
	// ErrFrameTooLarge is returned by ReadCommand when a frame's length field
	// exceeds the caller's limit. The frame is not read; the connection
	// should be closed because the stream cannot be resynchronised.
	ErrFrameTooLarge = errors.New("remoting: frame too large")

	// ErrMalformed is returned when a frame or header cannot be decoded: a
	// length field smaller than the fixed part, a header length beyond the
	// frame, an unknown serialize type, invalid JSON, an extFields value that
	// is not a string, an out-of-range number, and so on.
	ErrMalformed = errors.New("remoting: malformed frame")

	// ErrMissingField is returned by the typed Fields getters when the
	// requested extFields key is absent. The error text names the key.
	ErrMissingField = errors.New("remoting: missing header field")

	// ErrInvalidField is returned by the typed Fields getters when the value
	// of an extFields key cannot be parsed as the requested type. The error
	// text names the key.
	ErrInvalidField = errors.New("remoting: invalid header field")
)
