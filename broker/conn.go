package broker

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// conn is one client connection. Requests are read and dispatched by one
// goroutine; responses and broker-initiated requests are written by any
// goroutine under wmu. While the reader has more complete requests
// already read (a client pipelined them), the connection is corked: the
// answers collect in wbuf and leave in one Write when the reader has
// dispatched the last of them (uncork), or once maxCorked bytes wait.
type conn struct {
	b   *Broker
	raw net.Conn // as accepted; closing it ends the connection
	// nc carries the frames: raw, or TLS over it (tls.go). serve sets it
	// before the first dispatch, so every writer sees it set.
	nc     net.Conn
	remote netip.AddrPort

	slots chan struct{} // one per unanswered request (limits.go); nil: no limit
	later bool          // the request being dispatched is answered later; reader goroutine only

	wmu    sync.Mutex
	wbuf   []byte // frames not yet written; guarded by wmu
	corked bool   // hold frames in wbuf; guarded by wmu
	// oneway holds the opaques of one-way requests being dispatched or
	// answered later: their answer is dropped, as Java writes none.
	// Guarded by wmu.
	oneway map[int32]struct{}

	sends sendStage // single messages of the burst awaiting their append (send.go); reader goroutine only

	pmu     sync.Mutex
	pending map[int32]chan *remoting.Command // broker-initiated requests awaiting answers (invoke.go); guarded by pmu

	closeOnce sync.Once
	closed    chan struct{}
}

// opaque numbers broker-initiated requests (CHECK_TRANSACTION_STATE, NOTIFY_…).
var brokerOpaque atomic.Int32

func (b *Broker) acceptLoop() {
	defer b.wg.Done()
	var failures int
	var lastRefusal time.Time
	for {
		nc, err := b.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			failures++
			b.log.Warn("accept", "err", err)
			if !b.acceptBackoff(failures) {
				return
			}
			continue
		}
		failures = 0
		c := &conn{b: b, raw: nc, nc: nc, closed: make(chan struct{})}
		if b.cfg.MaxInflightRequests > 0 {
			c.slots = make(chan struct{}, b.cfg.MaxInflightRequests)
		}
		if ap, err := netip.ParseAddrPort(nc.RemoteAddr().String()); err == nil {
			c.remote = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		}
		b.mu.Lock()
		if b.closed {
			b.mu.Unlock()
			_ = nc.Close()
			return
		}
		if open := len(b.conns); b.cfg.MaxConnections > 0 && open >= b.cfg.MaxConnections {
			b.mu.Unlock()
			b.refuseConn(nc, open, &lastRefusal)
			continue
		}
		b.conns[c] = struct{}{}
		b.wg.Add(1)
		b.mu.Unlock()
		go c.serve()
	}
}

// serve reads frames until the connection fails, then cleans up everything
// the connection owned (client registrations, locks, held pulls).
func (c *conn) serve() {
	defer c.b.wg.Done()
	defer c.close()
	defer c.b.flushSends(c) // a burst cut short by a bad frame is still stored
	nc, ok := c.secure()
	if !ok {
		return
	}
	c.nc = nc
	r := frameReader{nc: nc, idle: c.b.cfg.IdleTimeout, frame: c.b.cfg.FrameTimeout, max: c.b.cfg.MaxFrameSize}
	defer r.release()
	for {
		if !c.acquire() {
			return
		}
		cmd, err := r.next()
		if err != nil {
			c.release()
			c.readFailed(&r, err)
			return
		}
		if cmd.IsResponse() {
			c.release()
			c.answered(cmd) // to a request the broker sent (invoke.go)
			if !r.more() {
				c.b.flushSends(c)
				c.uncork() // it may end a burst: the answers held back leave now
			}
			continue
		}
		more := r.more()
		if more {
			c.cork()
		}
		if cmd.Code != remoting.SendMessage && cmd.Code != remoting.SendMessageV2 {
			c.b.flushSends(c) // the messages sent before it are stored first
		}
		c.dispatch(cmd)
		if !more {
			c.b.flushSends(c) // the burst's messages, in one append
			c.uncork()
		}
	}
}

// readFailed logs why the connection's reader stops.
func (c *conn) readFailed(r *frameReader, err error) {
	remote := c.remote.String()
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
	case errors.Is(err, errIdle):
		c.b.log.Debug("closing idle connection", "remote", remote, "idle_timeout", c.b.cfg.IdleTimeout)
	case errors.Is(err, errFrameTimeout):
		c.b.log.Warn("closing connection: frame not completed in time", "remote", remote,
			"frame_timeout", c.b.cfg.FrameTimeout)
	case errors.Is(err, remoting.ErrFrameTooLarge) && r.looksLikeTLS():
		c.b.log.Warn("closing connection: a TLS client, but this broker serves plain TCP (start it with a TLS certificate)",
			"remote", remote)
	case errors.Is(err, remoting.ErrFrameTooLarge), errors.Is(err, remoting.ErrMalformed):
		c.b.log.Warn("closing connection after a bad frame", "remote", remote, "err", err)
	default:
		c.b.log.Debug("connection read", "remote", remote, "err", err)
	}
}

// dispatch runs the handler for cmd and writes its response, if any.
// Handlers that answer later (held pulls, sync-flush sends) return nil. A
// one-way request (FlagOneway) runs like any other, but its answer, now or
// later, is dropped: Java writes nothing back (a client that does not wait
// for an answer would otherwise find an unmatched frame).
func (c *conn) dispatch(cmd *remoting.Command) {
	c.b.requests.inc(cmd.Code)
	defer c.finishDispatch()
	if cmd.IsOneway() {
		c.muteAnswer(cmd.Opaque)
		defer c.dispatchedOneway(cmd.Opaque)
	}
	defer c.recoverHandler(cmd)
	if !c.admit(cmd) {
		return
	}
	h := handlers[cmd.Code]
	if h == nil {
		c.reply(remoting.NewResponse(cmd, remoting.RequestCodeNotSupported,
			"request code "+remoting.RequestName(cmd.Code)+" is not supported by the rocketkit broker"))
		return
	}
	if resp := h(c.b, c, cmd); resp != nil {
		c.reply(resp)
	}
}

// recoverHandler turns a handler panic into a SYSTEM_ERROR answer and a log
// line with the stack, so one bad request cannot take the broker down.
// Deferred by every goroutine that runs a handler.
func (c *conn) recoverHandler(req *remoting.Command) {
	r := recover()
	if r == nil {
		return
	}
	c.b.log.Error("request handler panicked", "code", remoting.RequestName(req.Code), "remote", c.remote.String(),
		"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
	c.reply(errorResponse(req, remoting.SystemError, fmt.Sprintf("internal error handling %s: %v",
		remoting.RequestName(req.Code), r)))
}

// muteAnswer makes reply drop the answer to the one-way request opaque.
func (c *conn) muteAnswer(opaque int32) {
	c.wmu.Lock()
	if c.oneway == nil {
		c.oneway = make(map[int32]struct{})
	}
	c.oneway[opaque] = struct{}{}
	c.wmu.Unlock()
}

// dispatchedOneway forgets the one-way request opaque once its handler
// returned, unless it answers later (then reply drops that answer and
// forgets it). Deferred by dispatch before finishDispatch resets c.later.
func (c *conn) dispatchedOneway(opaque int32) {
	if c.later {
		return
	}
	c.wmu.Lock()
	delete(c.oneway, opaque)
	c.wmu.Unlock()
}

// maxCorked bounds the bytes a corked connection holds back.
const maxCorked = 256 << 10

// reply writes resp, or queues it while the connection is corked. Errors
// close the connection (the reader notices).
func (c *conn) reply(resp *remoting.Command) {
	c.wmu.Lock()
	if c.oneway != nil && resp.IsResponse() {
		if _, mute := c.oneway[resp.Opaque]; mute {
			delete(c.oneway, resp.Opaque)
			c.wmu.Unlock()
			return
		}
	}
	c.wbuf = remoting.AppendFrame(c.wbuf, resp)
	c.b.framesWritten.Add(1)
	if c.corked && len(c.wbuf) < maxCorked {
		c.wmu.Unlock()
		return
	}
	err := c.flushLocked()
	c.wmu.Unlock()
	if err != nil {
		c.close()
	}
}

// cork holds answers back until uncork.
func (c *conn) cork() {
	c.wmu.Lock()
	c.corked = true
	c.wmu.Unlock()
}

// uncork writes the answers held back, if any, and stops holding them.
func (c *conn) uncork() {
	c.wmu.Lock()
	c.corked = false
	err := c.flushLocked()
	c.wmu.Unlock()
	if err != nil {
		c.close()
	}
}

// flushLocked writes wbuf. wmu should be held.
func (c *conn) flushLocked() error {
	if len(c.wbuf) == 0 {
		return nil
	}
	setWriteDeadline(c.nc, c.b.cfg.FrameTimeout)
	_, err := c.nc.Write(c.wbuf)
	c.b.writes.Add(1)
	if cap(c.wbuf) > 1<<20 {
		c.wbuf = nil // don't pin a large pull body per idle connection
	} else {
		c.wbuf = c.wbuf[:0]
	}
	return err
}

// sendOneway sends a broker-initiated request flagged one-way.
func (c *conn) sendOneway(code int16, fields remoting.Fields, body []byte) {
	req := remoting.NewRequest(code, fields, body)
	req.Opaque = brokerOpaque.Add(1)
	req.Flag |= remoting.FlagOneway
	c.reply(req)
}

func (c *conn) close() {
	c.closeOnce.Do(func() {
		close(c.closed)
		_ = c.raw.Close()
		c.b.mu.Lock()
		delete(c.b.conns, c)
		c.b.mu.Unlock()
		c.b.clients.connClosed(c)
		c.b.holds.connClosed(c)
	})
}

// handlerFunc serves one request code. It returns the response, or nil when
// it answers later (or never).
type handlerFunc func(b *Broker, c *conn, req *remoting.Command) *remoting.Command

// handlers is filled by the init functions of the handle_*.go files.
var handlers = map[int16]handlerFunc{}

func register(code int16, h handlerFunc) {
	if handlers[code] != nil {
		panic("broker: duplicate handler for " + remoting.RequestName(code))
	}
	handlers[code] = h
}
