package official

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/rocketkit/rocketkit/client"
)

// Request sends msg with the official producer's Request and waits for
// the reply, as client.Producer.Request does: the wait ends at ctx's
// deadline (ProducerConfig.SendTimeout without one) with an error
// matching client.ErrReplyTimeout and context.DeadlineExceeded;
// cancelling ctx returns ctx's error at once.
//
// What differs from package client: the official client waits the whole
// timeout when the request itself could not be sent (it reports that as a
// timeout too), writes TTL in seconds, and returns the reply without its
// broker metadata (born and store hosts and times are zero). opts choose
// the request's queue as for Send. The official client's goroutine that
// waits lives until the deadline even when ctx is cancelled; Close waits
// for it.
func (p *prod) Request(ctx context.Context, msg *client.Message, opts ...client.SendOption) (*client.MessageExt, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.cfg.SendTimeout)
		defer cancel()
	}
	deadline, _ := ctx.Deadline()
	pm, done, err := p.prepare(msg, opts)
	if err != nil {
		p.sends.Done()
		return nil, err
	}
	pp, err := p.plainProducer()
	if err != nil {
		done()
		p.sends.Done()
		return nil, err
	}
	type result struct {
		m   *primitive.Message
		err error
	}
	out := make(chan result, 1)
	go func() { // owns the call's p.sends count: Close waits for the official client's wait
		defer p.sends.Done()
		defer done()
		var r result
		r.err = p.first.do(ctx, msg.Topic, func(through func()) error {
			timeout := time.Until(deadline)
			if timeout <= 0 {
				return context.DeadlineExceeded
			}
			r.m, r.err = pp.Request(ctx, timeout, pm)
			if isReplyTimeout(r.err) {
				through() // sent; only the reply is missing
			}
			return r.err
		})
		out <- r
	}()
	select {
	case r := <-out:
		switch {
		case r.err == nil && r.m == nil:
			return nil, fmt.Errorf("official: request to %s: the client returned no reply and no error", msg.Topic)
		case r.err == nil:
			return p.replyExt(r.m), nil
		case isReplyTimeout(r.err) || errors.Is(r.err, context.DeadlineExceeded):
			return nil, fmt.Errorf("official: request to %s: %w: %w (%v)", msg.Topic, client.ErrReplyTimeout, context.DeadlineExceeded, r.err)
		}
		return nil, fmt.Errorf("official: request to %s: %w", msg.Topic, r.err)
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("official: request to %s: %w: %w", msg.Topic, client.ErrReplyTimeout, ctx.Err())
		}
		return nil, fmt.Errorf("official: request to %s: %w", msg.Topic, ctx.Err())
	}
}

// isReplyTimeout recognises the official client's "send request message
// to ... OK, but wait reply message timeout" error.
func isReplyTimeout(err error) bool {
	return err != nil && strings.Contains(err.Error(), "wait reply message timeout")
}

// replyExt converts the official client's reply.
func (p *prod) replyExt(m *primitive.Message) *client.MessageExt {
	topic := p.b.bareName(m.Topic)
	return client.NewMessageExt(client.MessageExt{Topic: topic, Body: m.Body, Flag: m.Flag,
		Queue: client.MessageQueue{Topic: topic}}, m.GetProperties())
}
