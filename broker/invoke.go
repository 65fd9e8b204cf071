package broker

import (
	"context"
	"fmt"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// invoke sends a broker-initiated request to the client on c and waits for
// its answer, for requests Java's broker sends with invokeSync
// (PUSH_REPLY_MESSAGE_TO_CLIENT, GET_CONSUMER_RUNNING_INFO,
// RESET_CONSUMER_CLIENT_OFFSET). It returns ctx's error when ctx ends
// first and errClientGone when the connection closes while waiting.
//
// The answer is read by c's reader goroutine, so invoke must never run on
// it: a handler that invokes answers its own request later (answerAsync).
func (c *conn) invoke(ctx context.Context, code int16, fields remoting.Fields, body []byte) (*remoting.Command, error) {
	req := remoting.NewRequest(code, fields, body)
	req.Opaque = brokerOpaque.Add(1)
	ch := make(chan *remoting.Command, 1)
	c.pmu.Lock()
	if c.pending == nil {
		c.pending = make(map[int32]chan *remoting.Command)
	}
	c.pending[req.Opaque] = ch
	c.pmu.Unlock()
	defer func() {
		c.pmu.Lock()
		delete(c.pending, req.Opaque)
		c.pmu.Unlock()
	}()
	c.reply(req)
	select {
	case resp := <-ch:
		return resp, nil
	case <-c.closed:
		return nil, fmt.Errorf("%w: %s to %s", errClientGone, remoting.RequestName(code), c.remote)
	case <-ctx.Done():
		return nil, fmt.Errorf("%s to %s: %w", remoting.RequestName(code), c.remote, ctx.Err())
	}
}

// answered hands a response the client sent to the invoke waiting for its
// opaque. Answers to one-way requests, or arriving after their invoke gave
// up, are dropped.
func (c *conn) answered(resp *remoting.Command) {
	c.pmu.Lock()
	ch := c.pending[resp.Opaque]
	delete(c.pending, resp.Opaque)
	c.pmu.Unlock()
	if ch != nil {
		ch <- resp // buffered; each opaque is answered at most once
	}
}

// answerAsync answers req later with what fn returns, computed on a
// goroutine of its own: for handlers that wait on another connection
// (invoke), which must not block this connection's reader. fn's ctx ends
// when the broker closes. Only a handler calls it.
func (c *conn) answerAsync(req *remoting.Command, fn func(ctx context.Context) *remoting.Command) {
	c.answerLater()
	c.b.wg.Add(1)
	go func() {
		defer c.b.wg.Done()
		ctx, cancel := context.WithCancel(c.b.life)
		defer cancel()
		var resp *remoting.Command
		func() {
			defer func() {
				if r := recover(); r != nil {
					resp = errorResponse(req, remoting.SystemError, fmt.Sprintf("internal error handling %s: %v",
						remoting.RequestName(req.Code), r))
					c.b.log.Error("request handler panicked", "code", remoting.RequestName(req.Code), "panic", fmt.Sprint(r))
				}
			}()
			resp = fn(ctx)
		}()
		c.answer(resp)
	}()
}
