package rpc_test

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rocketkit/rocketkit/client/internal/rpc"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// rawFrame is a frame with the given serialize type, header and body.
func rawFrame(typ byte, header string, body []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(4+len(header)+len(body)))
	b = append(b, typ, byte(len(header)>>16), byte(len(header)>>8), byte(len(header)))
	return append(append(b, header...), body...)
}

// TestConnBroken breaks the connection under three pending calls in each
// way a server can: every call fails with an error wrapping ErrConnBroken
// and the cause, the Conn reports the same, Done closes, later calls fail
// at once, and nothing is left running (synctest checks the bubble).
func TestConnBroken(t *testing.T) {
	valid := remoting.AppendFrame(nil, remoting.NewResponse(&remoting.Command{Opaque: 1}, remoting.Success, "x"))
	tests := []struct {
		name   string
		opts   rpc.Options
		server func(p *peer) error // after the server has read the three requests
		want   error
	}{
		{name: "server closes", server: func(p *peer) error { return p.nc.Close() }, want: io.EOF},
		{name: "length shorter than header word", server: writeRaw([]byte{0, 0, 0, 2, 0, 0}),
			want: remoting.ErrMalformed},
		{name: "unknown serialize type", server: writeRaw(rawFrame(7, "{}", nil)), want: remoting.ErrMalformed},
		{name: "bad JSON header", server: writeRaw(rawFrame(0, `{"code":`, nil)), want: remoting.ErrMalformed},
		{name: "header length beyond frame", server: writeRaw([]byte{0, 0, 0, 5, 0, 0, 0, 9, '{'}),
			want: remoting.ErrMalformed},
		{name: "truncated frame then close", server: func(p *peer) error {
			if _, err := p.nc.Write(valid[:10]); err != nil {
				return err
			}
			return p.nc.Close()
		}, want: io.ErrUnexpectedEOF},
		{name: "oversized frame", opts: rpc.Options{MaxFrameSize: 1024},
			server: writeRaw([]byte{0, 0, 4, 1}), want: remoting.ErrFrameTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				n := newPipeNet(t)
				c, p := n.connect(t, tt.opts)
				go func() {
					for range 3 {
						if _, err := p.read(); err != nil {
							return
						}
					}
					_ = tt.server(p)
				}()
				var wg sync.WaitGroup
				for i := range 3 {
					wg.Go(func() {
						_, err := c.Call(t.Context(), request(i))
						checkBroken(t, err, tt.want, n.addr)
					})
				}
				wg.Wait()
				<-c.Done()
				checkBroken(t, c.Err(), tt.want, n.addr)
				_, err := c.Call(t.Context(), request(9))
				checkBroken(t, err, tt.want, n.addr)
				if err := c.Oneway(t.Context(), request(9)); !errors.Is(err, rpc.ErrConnBroken) {
					t.Errorf("Oneway after breakage: %v, want ErrConnBroken", err)
				}
				if err := c.Close(); err != nil {
					t.Errorf("Close of a broken connection: %v", err)
				}
			})
		})
	}
}

func writeRaw(b []byte) func(p *peer) error {
	return func(p *peer) error {
		_, err := p.nc.Write(b)
		return err
	}
}

// checkBroken fails the test unless err reports a broken connection to addr
// caused by want.
func checkBroken(t *testing.T, err, want error, addr string) {
	t.Helper()
	if !errors.Is(err, rpc.ErrConnBroken) || !errors.Is(err, want) || errors.Is(err, rpc.ErrClosed) {
		t.Errorf("error %v: want ErrConnBroken and %v", err, want)
	}
	var ce *rpc.ConnError
	if !errors.As(err, &ce) || ce.Addr != addr {
		t.Errorf("error %v does not carry a ConnError for %s", err, addr)
	}
}

// TestConnWriteError breaks the connection from the writing side.
func TestConnWriteError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newPipeNet(t)
		injected := errors.New("injected write failure")
		var ok atomic.Int64
		dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
			nc, err := n.dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return failingConn{Conn: nc, ok: &ok, err: injected}, nil
		}
		c, _ := n.connect(t, rpc.Options{Dial: dial})
		_, err := c.Call(t.Context(), request(1))
		checkBroken(t, err, injected, n.addr)
		<-c.Done()
	})
}

// TestConnWriteTimeout has a server that reads nothing: the write deadline
// breaks the connection.
func TestConnWriteTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newPipeNet(t)
		c, _ := n.connect(t, rpc.Options{WriteTimeout: 2 * time.Second, RequestTimeout: time.Minute})
		start := time.Now()
		_, err := c.Call(t.Context(), request(1))
		checkBroken(t, err, os.ErrDeadlineExceeded, n.addr)
		if waited := time.Since(start); waited != 2*time.Second {
			t.Errorf("broke after %v, want 2s", waited)
		}
	})
}

// TestConnClose: frames queued before Close are written by it (one-way
// sends are not lost), then the pending call fails with ErrClosed, and the
// Conn refuses further use.
func TestConnClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newPipeNet(t)
		c, p := n.connect(t, rpc.Options{})
		callErr := make(chan error, 1)
		go func() {
			_, err := c.Call(t.Context(), request(0))
			callErr <- err
		}()
		synctest.Wait() // the writer holds request 0: nobody reads yet
		for i := 1; i <= 5; i++ {
			if err := c.Oneway(t.Context(), request(i)); err != nil {
				t.Fatal(err)
			}
		}
		closeErr := make(chan error, 1)
		go func() { closeErr <- c.Close() }()
		synctest.Wait()
		if c.Err() == nil {
			t.Error("Err() is nil while closing")
		}

		for i := 0; i <= 5; i++ {
			req, err := p.read()
			if err != nil {
				t.Fatalf("frame %d: %v", i, err)
			}
			if got := req.ExtFields.Get("n"); got != itoa(i) || req.IsOneway() != (i > 0) {
				t.Errorf("frame %d: n=%s oneway=%v", i, got, req.IsOneway())
			}
		}
		if _, err := p.read(); !isEOF(err) {
			t.Errorf("after the queued frames: %v, want EOF", err)
		}
		if err := <-closeErr; err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := <-callErr; !errors.Is(err, rpc.ErrClosed) || errors.Is(err, rpc.ErrConnBroken) {
			t.Errorf("pending call: %v, want ErrClosed", err)
		}
		<-c.Done()
		if !errors.Is(c.Err(), rpc.ErrClosed) {
			t.Errorf("Err() = %v, want ErrClosed", c.Err())
		}
		if _, err := c.Call(t.Context(), request(7)); !errors.Is(err, rpc.ErrClosed) {
			t.Errorf("Call after Close: %v", err)
		}
		if err := c.Oneway(t.Context(), request(7)); !errors.Is(err, rpc.ErrClosed) {
			t.Errorf("Oneway after Close: %v", err)
		}
		if err := c.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	})
}

// TestConnCloseGivesUp: a server that reads nothing holds Close for about
// a second, not forever; Close reports the frames it could not write.
func TestConnCloseGivesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newPipeNet(t)
		c, _ := n.connect(t, rpc.Options{})
		for i := range 3 {
			if err := c.Oneway(t.Context(), request(i)); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		start := time.Now()
		err := c.Close()
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("Close: %v, want a write deadline error", err)
		}
		if waited := time.Since(start); waited != time.Second {
			t.Errorf("Close took %v, want 1s", waited)
		}
		<-c.Done()
	})
}

// TestConnPendingLimit: with MaxPendingBytes queued behind a stalled
// writer, Oneway and Call wait for room within their context.
func TestConnPendingLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newPipeNet(t)
		c, p := n.connect(t, rpc.Options{MaxPendingBytes: 4096})
		req := bodyRequest(1, 3000)
		if err := c.Oneway(t.Context(), req); err != nil { // the writer takes it and blocks
			t.Fatal(err)
		}
		synctest.Wait()
		if err := c.Oneway(t.Context(), req); err != nil { // queued: 3 KB pending
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		start := time.Now()
		if err := c.Oneway(ctx, req); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Oneway over the limit: %v, want a deadline error", err)
		}
		if _, err := c.Call(ctx, req); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Call over the limit: %v, want a deadline error", err)
		}
		if waited := time.Since(start); waited != time.Second {
			t.Errorf("gave up after %v, want 1s", waited)
		}

		done := make(chan error, 1)
		go func() { done <- c.Oneway(t.Context(), req) }()
		synctest.Wait()
		select {
		case err := <-done:
			t.Fatalf("Oneway did not wait for room: %v", err)
		default:
		}
		for i := range 3 { // reading makes room: the waiting frame follows
			if _, err := p.read(); err != nil {
				t.Fatalf("frame %d: %v", i, err)
			}
		}
		if err := <-done; err != nil {
			t.Errorf("Oneway after room was made: %v", err)
		}
	})
}

// TestConnEncodeError: a request that cannot be encoded fails alone; the
// connection carries on.
func TestConnEncodeError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newPipeNet(t)
		c, p := n.connect(t, rpc.Options{})
		go p.serveEcho()
		req := request(1)
		req.Remark = string(make([]byte, 3<<20)) // NULs, escaped as \u0000: an 18 MiB header
		if _, err := c.Call(t.Context(), req); !errors.Is(err, remoting.ErrFrameTooLarge) {
			t.Errorf("Call with an 18 MiB header: %v, want ErrFrameTooLarge", err)
		}
		if err := c.Oneway(t.Context(), req); !errors.Is(err, remoting.ErrFrameTooLarge) {
			t.Errorf("Oneway with an 18 MiB header: %v, want ErrFrameTooLarge", err)
		}
		mustCall(t, c, request(2), "2")
	})
}

// TestDialError: a failed dial names the address and wraps the cause.
func TestDialError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newPipeNet(t)
		_, err := rpc.Dial(t.Context(), "127.0.0.1:1", rpc.Options{Dial: n.dial})
		if err == nil || !errors.Is(err, errRefused) {
			t.Errorf("Dial: %v, want connection refused", err)
		}
	})
}
