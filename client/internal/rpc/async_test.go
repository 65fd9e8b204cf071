package rpc_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rocketkit/rocketkit/client/internal/rpc"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// asyncResult is what a CallAsync callback received.
type asyncResult struct {
	resp *remoting.Command
	err  error
	at   time.Duration // since the call
}

// callAsync starts req and returns where its result will arrive, and a
// counter of callback runs. The callback first waits for the caller to
// return from CallAsync: run on the caller's goroutine, it would block the
// bubble and synctest would report the deadlock.
func callAsync(c *rpc.Conn, req *remoting.Command, timeout time.Duration) (<-chan asyncResult, *atomic.Int32) {
	results := make(chan asyncResult, 2)
	var runs atomic.Int32
	returned := make(chan struct{})
	start := time.Now()
	c.CallAsync(req, timeout, func(resp *remoting.Command, err error) {
		<-returned
		runs.Add(1)
		results <- asyncResult{resp: resp, err: err, at: time.Since(start)}
	})
	close(returned)
	return results, &runs
}

// TestConnCallAsync covers the ways an asynchronous call ends; in each the
// callback runs exactly once, off the caller's goroutine.
func TestConnCallAsync(t *testing.T) {
	tests := []struct {
		name     string
		server   func(c *rpc.Conn, p *peer) // runs on the test goroutine after CallAsync
		check    func(r asyncResult) error
		timeout  time.Duration
		closeNow bool // close the Conn before calling
	}{
		{name: "response", server: func(_ *rpc.Conn, p *peer) {
			if req, err := p.read(); err == nil {
				_ = p.answer(req)
			}
		}, check: func(r asyncResult) error {
			if r.err != nil || r.resp.Remark != "1" {
				return errors.New("want the response")
			}
			return nil
		}},
		{name: "timeout", timeout: 1500 * time.Millisecond, server: func(_ *rpc.Conn, p *peer) {
			req, _ := p.read()
			time.Sleep(2 * time.Second)
			_ = p.answer(req) // too late: dropped
		}, check: func(r asyncResult) error {
			var ce *rpc.CallError
			if !errors.Is(r.err, context.DeadlineExceeded) || !errors.As(r.err, &ce) || ce.Code != remoting.GetMaxOffset ||
				r.at != 1500*time.Millisecond {
				return errors.New("want a deadline CallError at 1.5s")
			}
			return nil
		}},
		{name: "connection breaks", server: func(_ *rpc.Conn, p *peer) {
			_, _ = p.read()
			_ = p.nc.Close()
		}, check: func(r asyncResult) error {
			if !errors.Is(r.err, rpc.ErrConnBroken) {
				return errors.New("want ErrConnBroken")
			}
			return nil
		}},
		{name: "closed", closeNow: true, server: func(*rpc.Conn, *peer) {}, check: func(r asyncResult) error {
			if !errors.Is(r.err, rpc.ErrClosed) {
				return errors.New("want ErrClosed")
			}
			return nil
		}},
		{name: "closed while pending", server: func(c *rpc.Conn, p *peer) {
			go func() { _, _ = p.read() }()
			synctest.Wait()
			_ = c.Close()
		}, check: func(r asyncResult) error {
			if !errors.Is(r.err, rpc.ErrClosed) {
				return errors.New("want ErrClosed")
			}
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				n := newPipeNet(t)
				c, p := n.connect(t, rpc.Options{})
				if tt.closeNow {
					_ = c.Close()
				}
				results, runs := callAsync(c, request(1), tt.timeout)
				tt.server(c, p)
				r := <-results
				if err := tt.check(r); err != nil {
					t.Errorf("callback got %v, %v at %v: %v", r.resp, r.err, r.at, err)
				}
				time.Sleep(10 * time.Second) // past every timeout
				if n := runs.Load(); n != 1 {
					t.Errorf("callback ran %d times, want once", n)
				}
			})
		})
	}
}

// TestConnRequestHeader: BeforeRequest sees every outgoing request, empty
// Language and zero Version get the client's defaults, Call and CallAsync
// clear the one-way flag and Oneway sets it, and req itself keeps its
// opaque.
func TestConnRequestHeader(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newPipeNet(t)
		var signed atomic.Int32
		sign := func(req *remoting.Command) {
			signed.Add(1)
			req.ExtFields.Set("Signature", "sig")
		}
		c, p := n.connect(t, rpc.Options{BeforeRequest: sign})
		req := &remoting.Command{Code: remoting.HeartBeat, Flag: remoting.FlagOneway | remoting.FlagResponse}

		go func() { _, _ = c.Call(t.Context(), req) }()
		got, err := p.read()
		if err != nil {
			t.Fatal(err)
		}
		if got.Language != "GO" || got.Version != remoting.Version || got.Flag != 0 || got.Opaque == 0 ||
			got.ExtFields.Get("Signature") != "sig" {
			t.Errorf("Call sent %v, want language GO, version %d, flag 0, an opaque, a signature", got, remoting.Version)
		}
		_ = p.answer(got)

		if err := c.Oneway(t.Context(), req); err != nil {
			t.Fatal(err)
		}
		if got, err = p.read(); err != nil {
			t.Fatal(err)
		}
		if got.Flag != remoting.FlagOneway || got.ExtFields.Get("Signature") != "sig" {
			t.Errorf("Oneway sent %v, want flag %d and a signature", got, remoting.FlagOneway)
		}

		results, _ := callAsync(c, req, 0)
		if got, err = p.read(); err != nil {
			t.Fatal(err)
		}
		if got.Flag != 0 {
			t.Errorf("CallAsync sent flag %d, want 0", got.Flag)
		}
		_ = p.answer(got)
		if r := <-results; r.err != nil {
			t.Error(r.err)
		}

		if signed.Load() != 3 || req.Opaque != 0 || req.Language != "" {
			t.Errorf("BeforeRequest ran %d times, req opaque %d, language %q; want 3, 0, \"\"",
				signed.Load(), req.Opaque, req.Language)
		}
	})
}
