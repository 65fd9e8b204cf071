package rpc_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rocketkit/rocketkit/client/internal/rpc"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// TestConnCall is the basic round trip, in virtual time.
func TestConnCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newPipeNet(t)
		c, p := n.connect(t, rpc.Options{})
		go p.serveEcho()
		for i := range 3 {
			mustCall(t, c, request(i), strconv.Itoa(i))
		}
		if c.Addr() != n.addr {
			t.Errorf("Addr() = %q, want %q", c.Addr(), n.addr)
		}
		if err := c.Err(); err != nil {
			t.Errorf("Err() = %v on a live connection", err)
		}
	})
}

// TestConnPipelining sends 1000 concurrent calls on one Conn to a server
// that reads them all before answering, ten at a time in reverse order:
// every response reaches its own caller.
func TestConnPipelining(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const calls = 1000
		n := newPipeNet(t)
		c, p := n.connect(t, rpc.Options{})
		go answerReversed(p, calls)
		var wg sync.WaitGroup
		for i := range calls {
			wg.Go(func() {
				if err := checkCall(t.Context(), c, request(i), strconv.Itoa(i)); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	})
}

// answerReversed reads calls requests, then answers them newest first, ten
// responses per write.
func answerReversed(p *peer, calls int) {
	reqs := make([]*remoting.Command, 0, calls)
	for range calls {
		req, err := p.read()
		if err != nil {
			return
		}
		reqs = append(reqs, req)
	}
	for i := len(reqs); i > 0; i -= 10 {
		batch := make([]*remoting.Command, 0, 10)
		for j := i - 1; j >= max(0, i-10); j-- {
			batch = append(batch, reqs[j])
		}
		if p.answer(batch...) != nil {
			return
		}
	}
}

// TestConnCoalescesWrites has 64 callers call at once against a server
// that starts reading only once every caller waits: the writer sends their
// requests in a handful of writes, not 64.
func TestConnCoalescesWrites(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const callers = 64
		n := newPipeNet(t)
		var writes atomic.Int64
		dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
			nc, err := n.dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return countingConn{Conn: nc, writes: &writes}, nil
		}
		c, p := n.connect(t, rpc.Options{Dial: dial})
		go func() {
			time.Sleep(time.Millisecond) // passes once every caller is blocked
			reqs := make([]*remoting.Command, 0, callers)
			for range callers {
				req, err := p.read()
				if err != nil {
					return
				}
				reqs = append(reqs, req)
			}
			_ = p.answer(reqs...)
		}()
		var wg sync.WaitGroup
		for i := range callers {
			wg.Go(func() {
				if err := checkCall(t.Context(), c, request(i), strconv.Itoa(i)); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		w := writes.Load()
		t.Logf("%d requests in %d writes", callers, w)
		if w*2 > callers {
			t.Errorf("%d requests took %d writes, want at most %d", callers, w, callers/2)
		}
	})
}

// TestConnCallTimeout lets a server sit on a request: Call gives up when
// its context's deadline (or, without one, Options.RequestTimeout) passes,
// CallTimeout when its timeout or the context's deadline does, whichever
// comes first, with an error naming the request and the address; the late
// answer is dropped and the connection stays usable.
func TestConnCallTimeout(t *testing.T) {
	tests := []struct {
		name           string
		ctxTimeout     time.Duration // 0: the context has no deadline
		requestTimeout time.Duration
		callTimeout    time.Duration // > 0: CallTimeout instead of Call
		wantWait       time.Duration
		wantText       string
	}{
		{name: "call timeout before the context deadline", ctxTimeout: 2 * time.Second, callTimeout: 700 * time.Millisecond,
			wantWait: 700 * time.Millisecond, wantText: "no response within 700ms: context deadline exceeded"},
		{name: "context deadline before the call timeout", ctxTimeout: time.Second, callTimeout: 2 * time.Second,
			wantWait: time.Second, wantText: "context deadline exceeded"},
		{name: "call timeout instead of the request timeout", requestTimeout: 500 * time.Millisecond,
			callTimeout: 900 * time.Millisecond, wantWait: 900 * time.Millisecond, wantText: "no response within 900ms"},
		{name: "context deadline", ctxTimeout: 2 * time.Second, wantWait: 2 * time.Second,
			wantText: "context deadline exceeded"},
		{name: "request timeout", requestTimeout: 500 * time.Millisecond, wantWait: 500 * time.Millisecond,
			wantText: "no response within 500ms: context deadline exceeded"},
		{name: "default request timeout", wantWait: rpc.DefaultRequestTimeout,
			wantText: "no response within 3s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var logs logBuffer
				n := newPipeNet(t)
				c, p := n.connect(t, rpc.Options{RequestTimeout: tt.requestTimeout, Logger: logs.logger()})
				stalled := make(chan *remoting.Command, 1)
				go func() {
					req, err := p.read()
					if err == nil {
						stalled <- req
					}
				}()
				ctx := t.Context()
				if tt.ctxTimeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tt.ctxTimeout)
					defer cancel()
				}
				start := time.Now()
				var (
					resp *remoting.Command
					err  error
				)
				if tt.callTimeout > 0 {
					resp, err = c.CallTimeout(ctx, request(1), tt.callTimeout)
				} else {
					resp, err = c.Call(ctx, request(1))
				}
				if waited := time.Since(start); waited != tt.wantWait {
					t.Errorf("Call returned after %v, want %v", waited, tt.wantWait)
				}
				if resp != nil || !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("Call = %v, %v; want an error wrapping context.DeadlineExceeded", resp, err)
				}
				var ce *rpc.CallError
				if !errors.As(err, &ce) || ce.Code != remoting.GetMaxOffset || ce.Addr != n.addr {
					t.Errorf("error %#v is not a CallError for GET_MAX_OFFSET to %s", err, n.addr)
				}
				for _, want := range []string{"GET_MAX_OFFSET", n.addr, tt.wantText} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not mention %q", err, want)
					}
				}

				if err := p.answer(<-stalled); err != nil {
					t.Fatal(err)
				}
				synctest.Wait()
				if !strings.Contains(logs.String(), "dropping a response nobody waits for") {
					t.Errorf("late answer not logged as dropped; log:\n%s", logs.String())
				}
				go p.serveEcho()
				mustCall(t, c, request(2), "2")
			})
		})
	}
}

// TestConnLargeBodies mixes bodies on both sides of the 16 KiB copy limit
// in concurrent calls: the frames queued by reference come out whole and
// in place among the copied ones.
func TestConnLargeBodies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newPipeNet(t)
		c, p := n.connect(t, rpc.Options{})
		go serveBodies(p)
		var wg sync.WaitGroup
		for i, size := range bodySizes {
			wg.Go(func() {
				if err := callBody(t.Context(), c, i, size); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	})
}

var bodySizes = []int{0, 1, 100, 16 << 10, 16<<10 + 1, 100 << 10, 7, 1 << 20, 3 << 20, 5000, 64 << 10}

// bodyRequest is a SEND_MESSAGE request n whose body is size bytes of
// byte(n).
func bodyRequest(n, size int) *remoting.Command {
	return remoting.NewRequest(remoting.SendMessage, remoting.Fields{{Key: "n", Value: strconv.Itoa(n)}},
		bytes.Repeat([]byte{byte(n)}, size))
}

// callBody sends bodyRequest(n, size) and checks the server's verdict.
func callBody(ctx context.Context, c *rpc.Conn, n, size int) error {
	return checkCall(ctx, c, bodyRequest(n, size), strconv.Itoa(n)+":"+strconv.Itoa(size))
}

// serveBodies answers each request with remark "n:len(body)" if the body
// is all byte(n), "n:corrupt" otherwise.
func serveBodies(p *peer) {
	for {
		req, err := p.read()
		if err != nil {
			return
		}
		num, _ := strconv.Atoi(req.ExtFields.Get("n"))
		verdict := strconv.Itoa(len(req.Body))
		if len(bytes.Trim(req.Body, string([]byte{byte(num)}))) > 0 {
			verdict = "corrupt"
		}
		if p.write(remoting.NewResponse(req, remoting.Success, strconv.Itoa(num)+":"+verdict)) != nil {
			return
		}
	}
}

// TestConnAbandonedBody checks that a Call giving up never leaves its body
// to be read by the writer after it returns: a body still queued is
// replaced by a copy, and one being written is waited for.
func TestConnAbandonedBody(t *testing.T) {
	t.Run("queued", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			n := newPipeNet(t)
			c, p := n.connect(t, rpc.Options{})
			if err := c.Oneway(t.Context(), request(0)); err != nil { // occupies the writer: nobody reads yet
				t.Fatal(err)
			}
			synctest.Wait()
			req := bodyRequest(1, 64<<10)
			ctx, cancel := context.WithTimeout(t.Context(), time.Second)
			defer cancel()
			if _, err := c.Call(ctx, req); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Call: %v, want a deadline error", err)
			}
			clear(req.Body) // the caller reuses its buffer
			if _, err := p.read(); err != nil {
				t.Fatal(err)
			}
			got, err := p.read()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Body, bytes.Repeat([]byte{1}, 64<<10)) {
				t.Error("the server got the body as modified after Call returned")
			}
		})
	})
	t.Run("being written", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			n := newPipeNet(t)
			c, p := n.connect(t, rpc.Options{})
			req := bodyRequest(1, 64<<10)
			ctx, cancel := context.WithTimeout(t.Context(), time.Second)
			defer cancel()
			start := time.Now()
			errc := make(chan error, 1)
			go func() {
				_, err := c.Call(ctx, req)
				clear(req.Body) // the caller reuses its buffer
				errc <- err
			}()
			if _, err := p.r.Peek(8); err != nil { // takes the header segment; the body's write blocks
				t.Fatal(err)
			}
			time.Sleep(5 * time.Second)
			select {
			case err := <-errc:
				t.Fatalf("Call returned (%v) while its body was being written", err)
			default:
			}
			got, err := p.read()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Body, bytes.Repeat([]byte{1}, 64<<10)) {
				t.Error("the server got the body as modified after Call returned")
			}
			if err := <-errc; !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Call: %v, want a deadline error", err)
			}
			if waited := time.Since(start); waited != 5*time.Second {
				t.Errorf("Call returned after %v, want 5s (when the write ended)", waited)
			}
		})
	})
}
