package console

import "errors"

var (
	// ErrConfig is in the chain of New's errors for a bad Config.
	ErrConfig = errors.New("console: bad configuration")
	// ErrBadRequest is answered with 400: a missing or malformed parameter.
	ErrBadRequest = errors.New("console: bad request")
	// ErrForbidden is answered with 403: a state-changing request without
	// the CSRF token or from another origin.
	ErrForbidden = errors.New("console: forbidden")
	// ErrNoSender is answered with 501: sending needs WithSender.
	ErrNoSender = errors.New("console: sending is not enabled (no producer)")
)
