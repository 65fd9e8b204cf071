package transport

import "errors"

// ErrUnknownBackend is returned by Open for a name no package registered.
var ErrUnknownBackend = errors.New("transport: unknown backend")
