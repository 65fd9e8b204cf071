package rpc

import (
	"time"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// call is one request awaiting its response. It is in Conn.calls under its
// opaque from register until someone removes it: the reader (response),
// the caller (its context or timeout ended), or finish (the connection
// ended). Whoever removes it delivers the result, exactly once: a
// synchronous caller receives it on ch; an asynchronous one gets done
// called on a fresh goroutine. A caller that loses the removal race waits
// on ch for the result already under way.
//
// Synchronous call records are recycled per Conn (not through a global
// sync.Pool: a record's channel and timer belong to the testing/synctest
// bubble that made them, and a Conn never leaves its bubble).
type call struct {
	ch    chan struct{} // capacity 1; signalled once per use when resp/err are set
	resp  *remoting.Command
	err   error
	code  int16
	timer *time.Timer // synchronous calls: RequestTimeout, reused across uses

	done  func(*remoting.Command, error) // asynchronous calls only
	after *time.Timer                    // asynchronous calls: timeout; guarded by Conn.mu

	// The pending batch and segment that hold the body by reference, for
	// writer.detach; bodyGen is 0 when the body was copied (or not queued).
	bodyGen uint64
	bodySeg int
}

// startTimer arms the reusable timer and returns its channel.
func (cl *call) startTimer(d time.Duration) <-chan time.Time {
	if cl.timer == nil {
		cl.timer = time.NewTimer(d)
	} else {
		cl.timer.Reset(d)
	}
	return cl.timer.C
}

// stopTimer disarms the timer; since Go 1.23 no stale tick stays behind.
func (cl *call) stopTimer() {
	if cl.timer != nil {
		cl.timer.Stop()
	}
}

// register allocates an opaque and enters a call for it: a recycled
// synchronous record when done is nil, a new asynchronous one otherwise. It
// fails with the connection's *ConnError once the connection has ended.
func (c *Conn) register(code int16, done func(*remoting.Command, error)) (int32, *call, error) {
	op := c.opaque.Add(1)
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return 0, nil, err
	}
	var cl *call
	switch n := len(c.free); {
	case done != nil:
		cl = &call{done: done}
	case n > 0:
		cl = c.free[n-1]
		c.free[n-1] = nil
		c.free = c.free[:n-1]
	default:
		cl = &call{ch: make(chan struct{}, 1)}
	}
	cl.code = code
	c.calls[op] = cl
	c.mu.Unlock()
	return op, cl, nil
}

// forget removes cl from the pending table if it is still there, and
// reports whether it was: then the caller owns the result; otherwise it is
// being delivered by someone else.
func (c *Conn) forget(op int32, cl *call) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.calls[op] != cl {
		return false
	}
	delete(c.calls, op)
	return true
}

// release recycles a synchronous call record once its result is taken.
func (c *Conn) release(cl *call) {
	cl.resp, cl.err, cl.bodyGen = nil, nil, 0
	c.mu.Lock()
	if len(c.free) < maxFreeCalls {
		c.free = append(c.free, cl)
	}
	c.mu.Unlock()
}

// complete hands a response to the call waiting for its opaque; a response
// nobody waits for (its call timed out, or the request was one-way) is
// dropped.
func (c *Conn) complete(resp *remoting.Command) {
	c.mu.Lock()
	cl := c.calls[resp.Opaque]
	if cl != nil {
		delete(c.calls, resp.Opaque)
	}
	c.mu.Unlock()
	if cl == nil {
		c.log.Debug("rpc: dropping a response nobody waits for", "opaque", resp.Opaque,
			"code", remoting.ResponseName(resp.Code))
		return
	}
	c.deliver(cl, resp, nil)
}

// deliver passes the result to cl's owner; the caller must have removed cl
// from the pending table.
func (c *Conn) deliver(cl *call, resp *remoting.Command, err error) {
	if cl.done == nil {
		cl.resp, cl.err = resp, err
		cl.ch <- struct{}{}
		return
	}
	c.mu.Lock()
	after := cl.after
	c.mu.Unlock()
	if after != nil {
		after.Stop()
	}
	go cl.done(resp, err)
}
