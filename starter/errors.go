package starter

import (
	"errors"
	"fmt"
)

var (
	// ErrInvalidConfig is matched by every *ConfigError.
	ErrInvalidConfig = errors.New("starter: invalid configuration")
	// ErrSubscriptionConflict is returned at start-up when two listeners
	// share a consumer group, or when another live member of a listener's
	// group subscribes differently (S6).
	ErrSubscriptionConflict = errors.New("starter: consumer group subscription conflict")
	// ErrSQLNotSupported is returned at start-up for a listener with an
	// sql selector while the embedded broker, which filters by tag only,
	// is in use.
	ErrSQLNotSupported = errors.New("starter: SQL92 selectors are not supported by the embedded broker")
	// ErrNotStarted is returned by Template methods before the fx app has
	// started or after it stopped.
	ErrNotStarted = errors.New("starter: template not started")
	// ErrNotSendOK is matched by *SendStatusError: with rocketmq.strict-send
	// a send whose status is not SEND_OK fails (S13).
	ErrNotSendOK = errors.New("starter: send status is not SEND_OK")
	// ErrBadDestination is returned for a destination that is not
	// "topic" or "topic:tag".
	ErrBadDestination = errors.New("starter: bad destination")
	// ErrMessageTooLarge is returned when a body exceeds
	// rocketmq.producer.max-message-size.
	ErrMessageTooLarge = errors.New("starter: message too large")
	// ErrNameServerUnreachable is returned at start-up when none of the
	// configured name servers answers.
	ErrNameServerUnreachable = errors.New("starter: no name server reachable")
)

// ConfigError is an invalid configuration value; its message starts with
// the full key, e.g.
//
//	rocketmq.producer.send-message-timeout: "abc" is not a duration
type ConfigError struct {
	Key string // full key, e.g. "rocketmq.producer.send-message-timeout"
	Msg string
}

func (e *ConfigError) Error() string        { return e.Key + ": " + e.Msg }
func (e *ConfigError) Is(target error) bool { return target == ErrInvalidConfig }

func configErr(key, format string, args ...any) error {
	return &ConfigError{Key: key, Msg: fmt.Sprintf(format, args...)}
}

// SendStatusError is a send that reached the broker but did not end in
// SEND_OK, returned when rocketmq.strict-send is on. The message is stored
// but, e.g., not yet flushed or replicated as the broker was asked to.
type SendStatusError struct {
	Status SendStatus
	MsgID  string
	Topic  string
}

func (e *SendStatusError) Error() string {
	return fmt.Sprintf("starter: send %s to %s: status %s, want SEND_OK", e.MsgID, e.Topic, e.Status)
}
func (e *SendStatusError) Is(target error) bool { return target == ErrNotSendOK }
