package rpc

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// Language is what the Conn writes in the "language" header of a command
// that leaves it empty, as the official Go client does.
const Language = "GO"

// Conn is one connection to a RocketMQ name server or broker, multiplexing
// any number of concurrent requests. All methods are safe for concurrent
// use. See the package documentation for the design.
type Conn struct {
	addr string
	nc   net.Conn
	opts Options // with defaults applied
	log  *slog.Logger

	opaque atomic.Int32 // last opaque handed out
	w      writer

	mu    sync.Mutex
	calls map[int32]*call // guarded by mu; requests awaiting a response, by opaque
	free  []*call         // guarded by mu; finished synchronous call records for reuse
	err   *ConnError      // guarded by mu; nil while the connection is up

	closeErr error // set by the writer before writerDone closes: the final flush's error

	dying      chan struct{} // closed when the connection starts closing or breaks
	writerDone chan struct{} // closed when the writer goroutine has returned
	ioDone     chan struct{} // closed when reader and writer are gone and pending calls have failed
	done       chan struct{} // closed after ioDone, once every Handler has returned

	hctx     context.Context // given to handlers; cancelled with dying
	hcancel  context.CancelFunc
	handlers sync.WaitGroup // running handlers; Add is only called by the reader
}

// Dial connects to addr ("host:port") and starts the connection's reader and
// writer goroutines. ctx bounds the dial and the TLS handshake (together
// with Options.DialTimeout); it does not bound the connection's life, which
// ends with Close or when the connection breaks.
func Dial(ctx context.Context, addr string, opts Options) (*Conn, error) {
	opts = opts.withDefaults()
	dctx, cancel := context.WithTimeout(ctx, opts.DialTimeout)
	defer cancel()
	nc, err := opts.Dial(dctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("rpc: dial %s: %w", addr, err)
	}
	if opts.TLS != nil {
		cfg := opts.TLS
		if cfg.ServerName == "" && !cfg.InsecureSkipVerify {
			host, _, _ := net.SplitHostPort(addr)
			cfg = cfg.Clone()
			cfg.ServerName = host
		}
		tc := tls.Client(nc, cfg)
		if err := tc.HandshakeContext(dctx); err != nil {
			_ = nc.Close()
			return nil, fmt.Errorf("rpc: TLS handshake with %s: %w", addr, err)
		}
		nc = tc
	}
	return newConn(addr, nc, opts), nil
}

// newConn starts a Conn over nc; opts must have its defaults applied.
func newConn(addr string, nc net.Conn, opts Options) *Conn {
	c := &Conn{
		addr:       addr,
		nc:         nc,
		opts:       opts,
		log:        opts.Logger.With("addr", addr),
		calls:      make(map[int32]*call),
		dying:      make(chan struct{}),
		writerDone: make(chan struct{}),
		ioDone:     make(chan struct{}),
		done:       make(chan struct{}),
	}
	c.w.init()
	c.hctx, c.hcancel = context.WithCancel(context.Background())
	go c.writeLoop()
	go c.readLoop()
	return c
}

// Addr returns the address the Conn was dialed to.
func (c *Conn) Addr() string { return c.addr }

// Done returns a channel that is closed when the connection has ended (by
// Close or by breaking) and everything it started is finished: its reader
// and writer goroutines have returned, every pending call has failed, and
// every running Handler has returned (their ctx is cancelled when the
// connection ends).
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err returns nil while the connection is up, and a *ConnError once it has
// started closing or has broken; it becomes non-nil before Done is closed.
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		return nil // not a typed nil
	}
	return c.err
}

// Call sends req and waits for the response with the same opaque.
//
// Call sends req with a fresh opaque, its response and one-way flags
// cleared, an empty Language as "GO" and a zero Version as
// remoting.Version, all without modifying req: unless BeforeRequest
// changes it, one req may serve several calls at once. req must not be
// modified until Call returns: its header is encoded on the caller's
// goroutine, but a body over 16 KiB is written from req.Body without a
// copy (Call never returns while the writer might still read it).
//
// Call blocks until the response arrives, ctx ends, or the connection ends.
// When ctx has no deadline, Options.RequestTimeout bounds the wait. When
// the wait ends without a response, the opaque is forgotten (a late answer
// is dropped) and the error is a *CallError naming the request code and the
// address that wraps ctx.Err() (or context.DeadlineExceeded for the
// request timeout), or the *ConnError that ended the connection, which
// wraps ErrClosed or ErrConnBroken. A response with a non-success code is
// returned as a response, not an error.
func (c *Conn) Call(ctx context.Context, req *remoting.Command) (*remoting.Command, error) {
	return c.call(ctx, req, 0)
}

// CallTimeout is Call with the wait for the response also bounded by d
// (> 0), whatever ctx's deadline: as Call with context.WithTimeout(ctx, d),
// but without a context and its timer per call (the call record's timer is
// reused). When d runs out first the *CallError wraps
// context.DeadlineExceeded, as a context's deadline would.
func (c *Conn) CallTimeout(ctx context.Context, req *remoting.Command, d time.Duration) (*remoting.Command, error) {
	return c.call(ctx, req, d)
}

// call is Call; limit > 0 bounds the wait (CallTimeout).
func (c *Conn) call(ctx context.Context, req *remoting.Command, limit time.Duration) (*remoting.Command, error) {
	if f := c.opts.BeforeRequest; f != nil {
		f(req)
	}
	op, cl, err := c.register(req.Code, nil)
	if err != nil {
		return nil, &CallError{Addr: c.addr, Code: req.Code, Err: err}
	}
	h := header(req, op, req.Flag&^(remoting.FlagResponse|remoting.FlagOneway), c.opts.SerializeType)
	if err := c.queue(ctx, &h, req.Body, true, cl); err != nil {
		if c.forget(op, cl) {
			c.release(cl)
			return nil, &CallError{Addr: c.addr, Code: req.Code, Err: err}
		}
		return c.collect(cl) // the connection failed it meanwhile
	}
	var timeout <-chan time.Time
	if limit <= 0 {
		if _, ok := ctx.Deadline(); !ok {
			limit = c.opts.RequestTimeout
		}
	}
	if limit > 0 {
		timeout = cl.startTimer(limit)
	}
	select {
	case <-cl.ch:
		cl.stopTimer()
		resp, err := cl.resp, cl.err
		c.release(cl)
		return resp, err
	case <-ctx.Done():
		err = ctx.Err()
	case <-timeout:
		err = &timeoutError{d: limit}
	}
	cl.stopTimer()
	if !c.forget(op, cl) {
		return c.collect(cl) // the reader or the connection's end got there first
	}
	c.w.detach(cl)
	c.release(cl)
	return nil, &CallError{Addr: c.addr, Code: req.Code, Err: err}
}

// collect waits for the result that whoever removed cl from the pending
// table is delivering, and recycles cl.
func (c *Conn) collect(cl *call) (*remoting.Command, error) {
	<-cl.ch
	resp, err := cl.resp, cl.err
	c.release(cl)
	return resp, err
}

// CallAsync sends req and arranges for done to be called exactly once with
// the response or an error (a *CallError, as Call's). done always runs on a
// goroutine of its own, never on the caller's, so the caller may hold locks
// that done takes; it may block and may call the Conn.
//
// timeout bounds the wait for the response; <= 0 means
// Options.RequestTimeout. CallAsync never blocks: it queues the request
// even beyond Options.MaxPendingBytes. The request is sent as Call sends
// it; req.Body must not be modified until done is called. done must not be
// nil.
func (c *Conn) CallAsync(req *remoting.Command, timeout time.Duration, done func(*remoting.Command, error)) {
	if timeout <= 0 {
		timeout = c.opts.RequestTimeout
	}
	if f := c.opts.BeforeRequest; f != nil {
		f(req)
	}
	op, cl, err := c.register(req.Code, done)
	if err != nil {
		go done(nil, &CallError{Addr: c.addr, Code: req.Code, Err: err})
		return
	}
	h := header(req, op, req.Flag&^(remoting.FlagResponse|remoting.FlagOneway), c.opts.SerializeType)
	if err := c.queue(context.Background(), &h, req.Body, false, cl); err != nil {
		if c.forget(op, cl) {
			go done(nil, &CallError{Addr: c.addr, Code: req.Code, Err: err})
		}
		return
	}
	c.mu.Lock()
	if c.calls[op] == cl { // not answered or failed yet
		cl.after = time.AfterFunc(timeout, func() { c.expire(op, cl, timeout) })
	}
	c.mu.Unlock()
}

// expire fails the async call cl when its timeout passes, unless a response
// or the connection's end took it first.
func (c *Conn) expire(op int32, cl *call, timeout time.Duration) {
	if !c.forget(op, cl) {
		return
	}
	c.w.detach(cl)
	cl.done(nil, &CallError{Addr: c.addr, Code: cl.code, Err: &timeoutError{d: timeout}})
}

// Oneway queues req for writing, flagged remoting.FlagOneway, and returns
// once it is queued; no response is awaited (one the server sends anyway is
// dropped). It blocks only while Options.MaxPendingBytes are queued, until
// ctx ends. The body is copied, so req may be reused as soon as Oneway
// returns. Frames queued before Close are written by Close. Errors are
// *CallErrors, as Call's.
func (c *Conn) Oneway(ctx context.Context, req *remoting.Command) error {
	if f := c.opts.BeforeRequest; f != nil {
		f(req)
	}
	select {
	case <-c.dying:
		return &CallError{Addr: c.addr, Code: req.Code, Err: c.Err()}
	default:
	}
	h := header(req, c.opaque.Add(1), (req.Flag|remoting.FlagOneway)&^remoting.FlagResponse, c.opts.SerializeType)
	if err := c.queue(ctx, &h, req.Body, true, nil); err != nil {
		return &CallError{Addr: c.addr, Code: req.Code, Err: err}
	}
	return nil
}

// Close writes the frames already queued (giving up after about a second),
// closes the connection, fails the pending calls with an error wrapping
// ErrClosed, and returns once the connection's reader and writer are gone.
// It does not wait for running Handlers (their ctx is cancelled; Done waits
// for them), so a Handler may call Close. Close is idempotent; it returns
// the error of that final write, if any, and nil when the connection had
// already broken.
func (c *Conn) Close() error {
	c.w.mu.Lock()
	if c.w.closeDeadline.IsZero() {
		c.w.closeDeadline = time.Now().Add(closeFlushTimeout)
		// Bound a write already in progress too; the writer re-arms this
		// deadline before each later write.
		_ = c.nc.SetWriteDeadline(c.w.closeDeadline)
	}
	c.w.mu.Unlock()
	c.shutdown(ErrClosed)
	<-c.ioDone
	return c.closeErr
}

// shutdown ends the connection with cause (ErrClosed, or the error that
// broke it), unless it has already ended; it reports whether it did. For a
// broken connection it closes the transport at once, unblocking the reader
// and the writer; for Close the writer first writes what is queued.
func (c *Conn) shutdown(cause error) bool {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return false
	}
	c.err = &ConnError{Addr: c.addr, Err: cause}
	c.mu.Unlock()
	close(c.dying)
	c.hcancel()
	if !errors.Is(cause, ErrClosed) {
		_ = c.nc.Close()
		c.log.Warn("rpc: connection broken", "err", cause)
	}
	return true
}

// cause returns the error that ended the connection, nil while it is up.
func (c *Conn) cause() error {
	return c.Err()
}

// closedByClose reports whether Close ended the connection (rather than a
// failure, or nothing yet).
func (c *Conn) closedByClose() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err != nil && errors.Is(c.err.Err, ErrClosed)
}

// finish runs when the reader returns: once the writer is gone too it fails
// every pending call, then waits for the handlers.
func (c *Conn) finish() {
	<-c.writerDone
	c.mu.Lock()
	calls := c.calls
	c.calls = nil
	cause := c.err
	c.mu.Unlock()
	for _, cl := range calls {
		c.deliver(cl, nil, &CallError{Addr: c.addr, Code: cl.code, Err: cause})
	}
	close(c.ioDone)
	c.handlers.Wait()
	close(c.done)
}

// header returns the header of req as sent: a copy with opaque, flag,
// serialize type and the defaults for Language and Version, without the
// body.
func header(req *remoting.Command, opaque, flag int32, typ byte) remoting.Command {
	h := *req
	h.Opaque = opaque
	h.Flag = flag
	h.SerializeType = typ
	h.Body = nil
	if h.Language == "" {
		h.Language = Language
	}
	if h.Version == 0 {
		h.Version = remoting.Version
	}
	return h
}
