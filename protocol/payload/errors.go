package payload

import "errors"

// ErrMalformed is returned when a body does not decode as the payload it
// should be. The error wrapping it says which and why.
var ErrMalformed = errors.New("payload: malformed body")
