package watermill

import (
	"errors"

	"github.com/ThreeDotsLabs/watermill/message"
)

// ErrDiscard is matched by errors returned from Discard: the message can
// never be handled and goes to the dead-letter topic at once.
var ErrDiscard = errors.New("watermill: message discarded")

// Discard marks err as permanent, for a handler behind
// [DiscardMiddleware]: instead of being redelivered, the message goes to
// its group's dead-letter topic %DLQ%<group> at once. Use it for messages
// that can never succeed (undecodable payloads, unknown types).
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

// DiscardMiddleware is a router middleware (message.HandlerMiddleware)
// that dead-letters at once the messages whose handler returned an error
// matching ErrDiscard (see Discard): it marks the message as
// [DeadLetter] does, and the router's Nack then sends it to %DLQ%<group>
// instead of the retry topic. Other errors are nacked as usual.
//
//	router.AddMiddleware(rmqwatermill.DiscardMiddleware)
//
// With middleware.Retry, skip retries of discarded messages:
// ShouldRetry: func(p middleware.RetryParams) bool { return !errors.Is(p.Err, rmqwatermill.ErrDiscard) }.
func DiscardMiddleware(h message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		out, err := h(msg)
		if errors.Is(err, ErrDiscard) {
			markDeadLetter(msg)
		}
		return out, err
	}
}

// DeadLetter nacks msg, received from a [Subscriber], so that it goes to
// its group's dead-letter topic %DLQ%<group> at once instead of being
// redelivered (in the Broadcasting model, which has no dead-letter topic,
// it is dropped with a log line of the client). It reports whether msg
// came from a Subscriber (its Context, or a context derived from it,
// carries the delivery); any other message is only nacked. After an Ack
// it does nothing.
func DeadLetter(msg *message.Message) bool {
	ok := markDeadLetter(msg)
	msg.Nack()
	return ok
}

// markDeadLetter makes a later Nack of msg dead-letter it.
func markDeadLetter(msg *message.Message) bool {
	d, ok := deliveryFrom(msg.Context())
	if ok {
		d.deadLetter.Store(true)
	}
	return ok
}
