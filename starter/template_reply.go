package starter

import (
	"context"
	"fmt"
	"time"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/listener"
)

// SendAndReceive sends payload to dest as a request and waits for the
// reply, which it decodes into reply (a non-nil pointer, as
// listener.Message.Decode: *[]byte and *string take the body, anything
// else is decoded by the codec), like rocketmq-spring's
// RocketMQTemplate.sendAndReceive. A listener with a HandleReply method
// (listener.ReplyHandler), of this application or another, answers it.
//
// The wait ends at ctx's deadline, or after
// rocketmq.producer.send-message-timeout when ctx has none, with an error
// matching ErrReplyTimeout and context.DeadlineExceeded; cancelling ctx
// returns ctx's error. The request is sent as Send sends (opts apply;
// delays are not refused but make the reply late). It is safe for
// concurrent use.
func (t *Template) SendAndReceive(ctx context.Context, dest string, payload any, reply any, opts ...SendOption) error {
	if reply == nil {
		return fmt.Errorf("starter: SendAndReceive to %s: reply is nil; pass a pointer to decode the reply into", dest)
	}
	p, err := t.producer()
	if err != nil {
		return err
	}
	m, err := t.BuildMessage(dest, payload, opts...)
	if err != nil {
		return err
	}
	ctx, end := t.traceSend(ctx, ModeRequest, m, nil)
	start := time.Now()
	ext, err := p.Request(ctx, m)
	end(nil, err)
	ev := SendEvent{Topic: m.Topic, Mode: ModeRequest, Messages: 1, Status: SendUnknown, Latency: time.Since(start), Err: err}
	if err == nil {
		ev.Status = SendOK
	}
	t.observe(ev)
	if err != nil {
		return fmt.Errorf("starter: request to %s: %w", m.Topic, err)
	}
	if err := t.decodeReply(ext, reply); err != nil {
		return fmt.Errorf("starter: reply from %s: %w", m.Topic, err)
	}
	return nil
}

// decodeReply decodes a reply as a listener decodes a message.
func (t *Template) decodeReply(ext *client.MessageExt, into any) error {
	m := listener.NewMessage(ext.Topic, ext.Tag, ext.Body, ext.Properties(), t.codec)
	m.MsgID = ext.MsgID
	return m.Decode(into)
}
