package broker

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// conn is one client connection. Requests are read and dispatched by one
// goroutine; responses and broker-initiated requests are written by any
// goroutine under wmu, each frame with a single Write.
type conn struct {
	b      *Broker
	nc     net.Conn
	remote netip.AddrPort

	wmu  sync.Mutex
	wbuf []byte // guarded by wmu

	closeOnce sync.Once
	closed    chan struct{}
}

// opaque numbers broker-initiated requests (CHECK_TRANSACTION_STATE, NOTIFY_…).
var brokerOpaque atomic.Int32

func (b *Broker) acceptLoop() {
	defer b.wg.Done()
	for {
		nc, err := b.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			b.log.Warn("accept", "err", err)
			continue
		}
		c := &conn{b: b, nc: nc, closed: make(chan struct{})}
		if ap, err := netip.ParseAddrPort(nc.RemoteAddr().String()); err == nil {
			c.remote = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		}
		b.mu.Lock()
		if b.closed {
			b.mu.Unlock()
			_ = nc.Close()
			return
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
	r := bufio.NewReaderSize(c.nc, 64<<10)
	for {
		cmd, err := remoting.ReadCommand(r, c.b.cfg.MaxFrameSize)
		if err != nil {
			switch {
			case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
			case errors.Is(err, remoting.ErrFrameTooLarge), errors.Is(err, remoting.ErrMalformed):
				c.b.log.Warn("closing connection after a bad frame", "remote", c.remote.String(), "err", err)
			default:
				c.b.log.Debug("connection read", "remote", c.remote.String(), "err", err)
			}
			return
		}
		if cmd.IsResponse() {
			continue // answers to our one-way requests; nothing waits for them
		}
		c.dispatch(cmd)
	}
}

// dispatch runs the handler for cmd and writes its response, if any.
// Handlers that answer later (held pulls, sync-flush sends) return nil.
func (c *conn) dispatch(cmd *remoting.Command) {
	c.b.requests.inc(cmd.Code)
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

// reply writes resp. Errors close the connection (the reader notices).
func (c *conn) reply(resp *remoting.Command) {
	c.wmu.Lock()
	c.wbuf = remoting.AppendFrame(c.wbuf[:0], resp)
	_, err := c.nc.Write(c.wbuf)
	if cap(c.wbuf) > 1<<20 {
		c.wbuf = nil // don't pin a large pull body per idle connection
	}
	c.wmu.Unlock()
	if err != nil {
		c.close()
	}
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
		_ = c.nc.Close()
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
