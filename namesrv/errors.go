package namesrv

import "errors"

// ErrConfig wraps every configuration error Start and Config.Validate
// report; the message names the koanf key.
var ErrConfig = errors.New("namesrv: bad config")

// errRequest marks a request whose header or body does not decode; the
// answer is SYSTEM_ERROR with the error's text, as Java answers a
// RemotingCommandException.
var errRequest = errors.New("bad request")
