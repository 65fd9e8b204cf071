package rpc_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/rocketkit/rocketkit/client/internal/rpc"
	"github.com/rocketkit/rocketkit/internal/memnet"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// peer is the server end of a test connection: it reads the client's
// frames and writes commands or raw bytes. Its methods return errors rather
// than failing the test, so goroutines other than the test's may use them.
type peer struct {
	nc net.Conn
	r  *bufio.Reader
}

func newPeer(nc net.Conn) *peer { return &peer{nc: nc, r: bufio.NewReaderSize(nc, 64<<10)} }

// read reads one frame.
func (p *peer) read() (*remoting.Command, error) { return remoting.ReadCommand(p.r, 0) }

// write writes cmds in one Write.
func (p *peer) write(cmds ...*remoting.Command) error {
	var b []byte
	for _, c := range cmds {
		b = remoting.AppendFrame(b, c)
	}
	_, err := p.nc.Write(b)
	return err
}

// answer writes the SUCCESS response to req, with remark echoing req's
// "n" field so tests can check the match.
func (p *peer) answer(reqs ...*remoting.Command) error {
	resps := make([]*remoting.Command, len(reqs))
	for i, req := range reqs {
		resps[i] = echo(req)
	}
	return p.write(resps...)
}

// echo is the response the test servers give: SUCCESS, remark = field "n".
func echo(req *remoting.Command) *remoting.Command {
	return remoting.NewResponse(req, remoting.Success, req.ExtFields.Get("n"))
}

// serveEcho answers every request it reads until the connection ends.
func (p *peer) serveEcho() {
	for {
		req, err := p.read()
		if err != nil {
			return
		}
		if req.IsOneway() {
			continue
		}
		if p.answer(req) != nil {
			return
		}
	}
}

// request returns a GET_MAX_OFFSET request carrying field n = i.
func request(i int) *remoting.Command {
	return remoting.NewRequest(remoting.GetMaxOffset, remoting.Fields{
		{Key: "topic", Value: "T"}, {Key: "queueId", Value: "0"}, {Key: "n", Value: strconv.Itoa(i)},
	}, nil)
}

// pipeNet is an in-memory network with one listener whose accepted
// connections arrive on a channel as peers.
type pipeNet struct {
	net   *memnet.Network
	ln    net.Listener
	addr  string
	peers chan *peer
	dials atomic.Int64 // Dial calls, failed ones included

	mu    sync.Mutex
	conns []net.Conn // guarded by mu; accepted, closed when the test ends
}

// newPipeNet listens on a fresh memnet.Network; everything closes when the
// test ends. Call it inside the test's synctest bubble.
func newPipeNet(t *testing.T) *pipeNet {
	t.Helper()
	n := &pipeNet{net: new(memnet.Network), peers: make(chan *peer, 16)}
	ln, err := n.net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n.ln, n.addr = ln, ln.Addr().String()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			n.mu.Lock()
			n.conns = append(n.conns, nc)
			n.mu.Unlock()
			select {
			case n.peers <- newPeer(nc):
			case <-stop:
				return
			}
		}
	})
	t.Cleanup(func() {
		close(stop)
		_ = ln.Close()
		wg.Wait()
		n.mu.Lock()
		defer n.mu.Unlock()
		for _, nc := range n.conns {
			_ = nc.Close()
		}
	})
	return n
}

// dial is an Options.Dial that counts its calls.
func (n *pipeNet) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	n.dials.Add(1)
	return n.net.Dial(ctx, network, addr)
}

// connect dials a Conn with opts (Dial set to n's) and returns it with the
// server's end. The Conn is closed when the test ends.
func (n *pipeNet) connect(t *testing.T, opts rpc.Options) (*rpc.Conn, *peer) {
	t.Helper()
	if opts.Dial == nil {
		opts.Dial = n.dial
	}
	c, err := rpc.Dial(t.Context(), n.addr, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c, <-n.peers
}

// countingConn counts the Write calls made on a net.Conn.
type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c countingConn) Write(b []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(b)
}

// failingConn fails every Write after the first ok ones with err.
type failingConn struct {
	net.Conn
	ok  *atomic.Int64
	err error
}

func (c failingConn) Write(b []byte) (int, error) {
	if c.ok.Add(-1) < 0 {
		return 0, c.err
	}
	return c.Conn.Write(b)
}

// logBuffer is a slog handler target that tests read back.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// mustCall calls req and fails the test unless it gets a SUCCESS response
// whose remark is want. Call it from the test goroutine; others use
// checkCall.
func mustCall(t *testing.T, c *rpc.Conn, req *remoting.Command, want string) {
	t.Helper()
	if err := checkCall(t.Context(), c, req, want); err != nil {
		t.Fatal(err)
	}
}

// checkCall calls req and returns an error unless it gets a SUCCESS
// response whose remark is want.
func checkCall(ctx context.Context, c *rpc.Conn, req *remoting.Command, want string) error {
	resp, err := c.Call(ctx, req)
	if err != nil {
		return fmt.Errorf("call %s: %w", req.ExtFields.Get("n"), err)
	}
	if resp.Code != remoting.Success || resp.Remark != want {
		return fmt.Errorf("call %s: response %v, want SUCCESS with remark %q", req.ExtFields.Get("n"), resp, want)
	}
	return nil
}

// isEOF reports whether err is the end of a connection as a peer sees it.
func isEOF(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe) || errors.Is(err, net.ErrClosed)
}

var errRefused = memnet.ErrRefused

func itoa(i int) string { return strconv.Itoa(i) }
