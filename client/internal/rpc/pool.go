package rpc

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// Dial backoff of a Pool, per address.
const (
	minDialBackoff = 100 * time.Millisecond
	maxDialBackoff = 5 * time.Second
)

// Pool shares one Conn per address among every producer and consumer of a
// process, as the official client shares one connection per broker. It is
// safe for concurrent use.
//
// Conns are dialed lazily, on the first Conn or Call for their address;
// concurrent first callers share one dial. A Conn that has ended (its Err
// is non-nil) is replaced by a fresh dial on the next call for its address.
// After a failed dial, calls for that address fail at once with the dial's
// error until a backoff has passed: 100 ms, doubling with each further
// failure up to 5 s, and reset by a successful dial.
//
// Conns returned by a Pool belong to it: close the Pool, not them (a Conn
// closed anyway is redialed on next use).
type Pool struct {
	opts   Options
	ctx    context.Context // cancelled by Close; bounds the dials
	cancel context.CancelFunc
	dials  sync.WaitGroup // dial goroutines

	mu      sync.Mutex
	entries map[string]*poolEntry // guarded by mu
	closed  bool                  // guarded by mu
}

// poolEntry is one address's state; every field is guarded by Pool.mu.
type poolEntry struct {
	conn    *Conn         // the current Conn, possibly ended; nil before the first successful dial
	dialing chan struct{} // non-nil while a dial runs; closed when it ends
	err     error         // the last dial's error, nil after a success
	retryAt time.Time     // no new dial before this after a failure
	backoff time.Duration // the last backoff; 0 after a success
}

// NewPool returns an empty Pool whose Conns use opts.
func NewPool(opts Options) *Pool {
	p := &Pool{opts: opts.withDefaults(), entries: make(map[string]*poolEntry)}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	return p
}

// Conn returns the live Conn for addr, dialing one if there is none. It
// blocks while a dial for addr is under way (its own or another caller's),
// until ctx ends; the dial itself is bounded by Options.DialTimeout and
// not cancelled by ctx, since other callers may share it. During the
// backoff after a failed dial it returns that dial's error at once. After
// Close it returns ErrClosed.
func (p *Pool) Conn(ctx context.Context, addr string) (*Conn, error) {
	p.mu.Lock()
	for {
		if p.closed {
			p.mu.Unlock()
			return nil, ErrClosed
		}
		e := p.entries[addr]
		if e == nil {
			e = &poolEntry{}
			p.entries[addr] = e
		}
		if e.conn != nil && e.conn.Err() == nil {
			c := e.conn
			p.mu.Unlock()
			return c, nil
		}
		if e.dialing == nil {
			if e.err != nil && time.Now().Before(e.retryAt) {
				err := e.err
				p.mu.Unlock()
				return nil, err
			}
			e.dialing = make(chan struct{})
			p.dials.Add(1)
			go p.dial(addr, e)
		}
		ch := e.dialing
		p.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, fmt.Errorf("rpc: connect to %s: %w", addr, ctx.Err())
		}
		p.mu.Lock()
	}
}

// dial dials addr for e and records the outcome.
func (p *Pool) dial(addr string, e *poolEntry) {
	defer p.dials.Done()
	c, err := Dial(p.ctx, addr, p.opts)
	p.mu.Lock()
	closed := p.closed
	if err != nil {
		e.err = err
		e.backoff = min(max(2*e.backoff, minDialBackoff), maxDialBackoff)
		e.retryAt = time.Now().Add(e.backoff)
		p.opts.Logger.Warn("rpc: dial failed", "addr", addr, "err", err, "retry_in", e.backoff)
	} else {
		e.conn, e.err, e.backoff = c, nil, 0
	}
	close(e.dialing)
	e.dialing = nil
	p.mu.Unlock()
	if closed && c != nil {
		_ = c.Close() // Close ran during the dial and could not see c
	}
}

// Call sends req on the Conn for addr (see Conn) and waits for the
// response; see Conn.Call for the contract. ctx bounds the wait for a dial
// too. A Call is not retried: the caller decides whether a request may be
// sent again.
func (p *Pool) Call(ctx context.Context, addr string, req *remoting.Command) (*remoting.Command, error) {
	c, err := p.Conn(ctx, addr)
	if err != nil {
		return nil, err
	}
	return c.Call(ctx, req)
}

// CallTimeout is Call with the wait bounded by d (> 0) too, as Call with
// context.WithTimeout(ctx, d); see Conn.CallTimeout. Only when it must wait
// for a dial does it make that context.
func (p *Pool) CallTimeout(ctx context.Context, addr string, req *remoting.Command, d time.Duration) (*remoting.Command, error) {
	if c := p.ready(addr); c != nil {
		return c.CallTimeout(ctx, req, d)
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return p.Call(ctx, addr, req)
}

// ready returns the live Conn for addr, or nil.
func (p *Pool) ready(addr string) *Conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e := p.entries[addr]; e != nil && e.conn != nil && e.conn.Err() == nil && !p.closed {
		return e.conn
	}
	return nil
}

// Close closes every Conn of the pool at once (see Conn.Close: queued
// frames are written first, for up to about a second), cancels dials under
// way, and makes later calls fail with ErrClosed. It returns the Conns' Close errors, joined. Close is
// idempotent.
func (p *Pool) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	var conns []*Conn
	for _, e := range p.entries {
		if e.conn != nil {
			conns = append(conns, e.conn)
		}
	}
	p.mu.Unlock()
	p.cancel()
	p.dials.Wait()
	errs := make([]error, len(conns))
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Go(func() { errs[i] = c.Close() }) // each may spend up to a second writing
	}
	wg.Wait()
	return errors.Join(errs...)
}
