package starter

import (
	"errors"
	"fmt"
	"strings"

	"github.com/rocketkit/rocketkit/client"
	"go.uber.org/dig"
)

var (
	// ErrInvalidConfig is matched by every *ConfigError.
	ErrInvalidConfig = errors.New("starter: invalid configuration")
	// ErrSubscriptionConflict is returned at start-up when two listeners
	// share a consumer group, or when another live member of a listener's
	// group subscribes differently (S6).
	ErrSubscriptionConflict = errors.New("starter: consumer group subscription conflict")
	// ErrNotStarted is returned by Template methods before the fx app has
	// started or after it stopped.
	ErrNotStarted = errors.New("starter: template not started")
	// ErrNotSendOK is matched by *SendStatusError: with rocketmq.strict-send
	// a send whose status is not SEND_OK fails (S13).
	ErrNotSendOK = errors.New("starter: send status is not SEND_OK")
	// ErrTimedTwice is returned when a send is given more than one of
	// WithDelayLevel, WithDeliverAt and WithDelay.
	ErrTimedTwice = errors.New("starter: a message has one of WithDelayLevel, WithDeliverAt and WithDelay, not several")
	// ErrBadDestination is returned for a destination that is not
	// "topic" or "topic:tag".
	ErrBadDestination = errors.New("starter: bad destination")
	// ErrReplyTimeout is returned by Template.SendAndReceive when no reply
	// came before ctx's deadline (the error matches
	// context.DeadlineExceeded too). It is client.ErrReplyTimeout.
	ErrReplyTimeout = client.ErrReplyTimeout
	// ErrMessageTooLarge is returned when a body exceeds
	// rocketmq.producer.max-message-size.
	ErrMessageTooLarge = errors.New("starter: message too large")
	// ErrNameServerUnreachable is returned at start-up when none of the
	// configured name servers answers.
	ErrNameServerUnreachable = errors.New("starter: no name server reachable")
)

// Cause returns the error the kit reported, without what fx and its
// dependency injection wrapped around it ("could not build arguments for
// function ... failed to build *starter.settings: received non-nil error
// from function ..." and "OnStart hook added by ... failed:"), so that an
// application can print just the failing key, its value and what is
// allowed. Errors that are not fx's come back unchanged.
//
//	if err := app.Err(); err != nil {
//		log.Error("start", "err", starter.Cause(err))
//	}
func Cause(err error) error {
	if err == nil {
		return nil
	}
	err = dig.RootCause(err)
	for {
		// fx's lifecycle wraps a failing hook as
		// "OnStart hook added by <func> failed: <err>".
		msg := err.Error()
		if !strings.HasPrefix(msg, "OnStart hook added by ") && !strings.HasPrefix(msg, "OnStop hook added by ") {
			return err
		}
		inner := errors.Unwrap(err)
		if inner == nil {
			return err
		}
		err = inner
	}
}

// ConfigError is an invalid configuration value; its message starts with
// the full key, e.g.
//
//	rocketmq.producer.send-message-timeout: "abc" is not a duration
//
// AppConfig reports the application's keys the same way; an error from
// the bound type's Validate that is not a *ConfigError becomes one with
// the AppConfig prefix as Key and the error as Err.
type ConfigError struct {
	Key string // full key, e.g. "rocketmq.producer.send-message-timeout"
	Msg string
	Err error // the underlying error, if any
}

func (e *ConfigError) Error() string        { return e.Key + ": " + e.Msg }
func (e *ConfigError) Is(target error) bool { return target == ErrInvalidConfig }
func (e *ConfigError) Unwrap() error        { return e.Err }

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
