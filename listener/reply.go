package listener

import (
	"context"
	"fmt"
	"reflect"

	"github.com/rocketkit/rocketkit/client"
)

// ReplyHandler handles requests and answers them, like rocketmq-spring's
// RocketMQReplyListener: a listener struct with this method instead of
// Handle receives the messages sent by Template.SendAndReceive (or any
// client's request call) and returns the reply, which is sent back to the
// requester:
//
//	type Quotes struct {
//		listener.Concurrent `topic:"quotes"`
//	}
//
//	func (Quotes) HandleReply(ctx context.Context, m *listener.Message) (any, error) {
//		var q QuoteRequest
//		if err := m.Decode(&q); err != nil {
//			return nil, listener.Discard(err)
//		}
//		return Quote{Item: q.Item, Price: 42}, nil
//	}
//
// The reply is encoded like a template payload: []byte and string as they
// are, anything else with the codec. A nil error sends it and
// acknowledges the request; an error sends nothing and has the meaning it
// has for Handler (retry, or Discard). A reply that cannot be sent (the
// requester is gone or timed out) and a message that was not a request
// are logged and acknowledged. It is called as Handler is, and never in
// batches.
type ReplyHandler interface {
	HandleReply(ctx context.Context, m *Message) (any, error)
}

var replyType = reflect.TypeFor[ReplyHandler]()

// ReplySender sends a reply (built by client.NewReply) to the broker. The
// starter sends with a producer of the listener's backend.
type ReplySender func(ctx context.Context, reply *client.Message) error

// WithReplySender sets how a ReplyHandler's replies are sent; required
// for one.
func WithReplySender(s ReplySender) Option { return optionFunc(func(d *Dispatcher) { d.send = s }) }

// handleReply calls the ReplyHandler and sends its reply.
func (d *Dispatcher) handleReply(ctx context.Context, m *Message) error {
	v, err := d.reply.HandleReply(ctx, m)
	if err != nil {
		return err
	}
	if m.ext == nil || !client.IsRequest(m.ext) {
		d.log.Warn("listener got a message that is not a request; the reply is dropped", "msg_id", m.MsgID)
		return nil
	}
	var body []byte
	switch b := v.(type) {
	case []byte:
		body = b
	case string:
		body = []byte(b)
	default:
		if body, err = d.codec.Marshal(MarshalParams{Topic: m.Topic, Value: v}); err != nil {
			return Discard(fmt.Errorf("listener: encode the reply to %s: %w", m.MsgID, err))
		}
	}
	reply, err := client.NewReply(m.ext, body)
	if err == nil {
		err = d.send(ctx, reply)
	}
	if err != nil {
		d.log.Warn("listener could not send its reply; the requester will time out", "msg_id", m.MsgID, "err", err)
	}
	return nil
}

// Replies reports whether the listener is a ReplyHandler, whose replies
// the ReplySender sends.
func (d *Dispatcher) Replies() bool { return d.reply != nil }
