package namesrv

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// Server is a running name server. Create it with Start; stop it with
// Close. Its methods are safe for concurrent use.
type Server struct {
	cfg    Config
	log    *slog.Logger
	ln     net.Listener
	addr   string
	routes *routeTable

	mu     sync.Mutex
	conns  map[*conn]struct{} // guarded by mu
	closed bool               // guarded by mu

	done chan struct{} // closed by Close
	wg   sync.WaitGroup
}

// Start validates cfg, listens on cfg.Listen and serves until Close.
// Cancelling ctx aborts start-up only.
func Start(ctx context.Context, cfg Config, opts ...Option) (*Server, error) {
	var o options
	for _, opt := range opts {
		opt.apply(&o)
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	if o.listen == nil {
		o.listen = net.Listen
	}
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("namesrv: start: %w", err)
	}
	ln, err := o.listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("namesrv: listen on %s: %w", cfg.Listen, err)
	}
	s := &Server{cfg: cfg, log: o.logger, ln: ln, addr: ln.Addr().String(), routes: newRouteTable(cfg),
		conns: make(map[*conn]struct{}), done: make(chan struct{})}
	s.wg.Add(2)
	go s.acceptLoop()
	go s.scanLoop()
	s.log.Info("name server started", "addr", s.addr)
	return s, nil
}

// Addr is the address the server listens on (ip:port).
func (s *Server) Addr() string { return s.addr }

// Brokers lists the registered broker processes, by name then id.
func (s *Server) Brokers() []Broker { return s.routes.list() }

// Close stops listening, closes every connection and waits for the
// server's goroutines. The route table is dropped, as Java keeps it only
// in memory. It is safe to call more than once.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	close(s.done)
	err := s.ln.Close()
	for _, c := range conns {
		_ = c.nc.Close()
	}
	s.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

func (s *Server) acceptLoop() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Warn("accept", "err", err)
			select {
			case <-s.done:
				return
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		c := &conn{s: s, nc: nc, remote: nc.RemoteAddr().String()}
		s.mu.Lock()
		if s.closed || s.cfg.MaxConnections > 0 && len(s.conns) >= s.cfg.MaxConnections {
			closed := s.closed
			s.mu.Unlock()
			_ = nc.Close()
			if closed {
				return
			}
			s.log.Warn("connection refused: at max-connections", "remote", c.remote, "max", s.cfg.MaxConnections)
			continue
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go c.serve()
	}
}

// scanLoop drops brokers that stopped registering (scanNotActiveBroker).
func (s *Server) scanLoop() {
	defer s.wg.Done()
	tick := time.NewTicker(s.cfg.ScanInterval)
	defer tick.Stop()
	for {
		select {
		case <-s.done:
			return
		case now := <-tick.C:
			dropped, conns := s.routes.expire(now)
			for _, addr := range dropped {
				s.log.Warn("broker expired: no registration within its timeout", "broker", addr)
			}
			for _, c := range conns {
				_ = c.nc.Close()
			}
		}
	}
}

// conn is one connection: a client asking for routes or a broker
// registering. Requests are answered in order by its one goroutine.
type conn struct {
	s      *Server
	nc     net.Conn
	remote string
}

func (c *conn) serve() {
	s := c.s
	defer s.wg.Done()
	defer func() {
		_ = c.nc.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		for _, addr := range s.routes.connClosed(c) {
			s.log.Info("broker unregistered: its connection closed", "broker", addr)
		}
	}()
	r := bufio.NewReaderSize(c.nc, 64<<10)
	var out []byte
	for {
		if s.cfg.IdleTimeout > 0 {
			_ = c.nc.SetReadDeadline(time.Now().Add(s.cfg.IdleTimeout))
		}
		req, err := remoting.ReadCommand(r, s.cfg.MaxFrameSize)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				s.log.Debug("closing connection", "remote", c.remote, "err", err)
			}
			return
		}
		if req.IsResponse() {
			continue // the name server sends no requests
		}
		resp := s.dispatch(c, req)
		if req.IsOneway() {
			continue
		}
		out = remoting.AppendFrame(out[:0], resp)
		_ = c.nc.SetWriteDeadline(time.Now().Add(writeTimeout))
		if _, err := c.nc.Write(out); err != nil {
			s.log.Debug("write", "remote", c.remote, "err", err)
			return
		}
	}
}
