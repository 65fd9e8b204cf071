package rpc_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rocketkit/rocketkit/client/internal/rpc"
	"github.com/rocketkit/rocketkit/internal/memnet"
)

// TestPoolSharesConn: every caller for an address gets the same Conn, and
// concurrent first callers share one dial.
func TestPoolSharesConn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newPipeNet(t)
		slowDial := func(ctx context.Context, network, addr string) (net.Conn, error) {
			time.Sleep(10 * time.Millisecond) // every caller arrives during the dial
			return n.dial(ctx, network, addr)
		}
		p := rpc.NewPool(rpc.Options{Dial: slowDial})
		defer p.Close()
		go func() { (<-n.peers).serveEcho() }()
		conns := make([]*rpc.Conn, 20)
		var wg sync.WaitGroup
		for i := range conns {
			wg.Go(func() {
				c, err := p.Conn(t.Context(), n.addr)
				if err != nil {
					t.Error(err)
				}
				conns[i] = c
			})
		}
		wg.Wait()
		for i, c := range conns {
			if c != conns[0] {
				t.Errorf("caller %d got Conn %p, caller 0 got %p", i, c, conns[0])
			}
		}
		if _, err := p.Call(t.Context(), n.addr, request(1)); err != nil {
			t.Error(err)
		}
		if d := n.dials.Load(); d != 1 {
			t.Errorf("%d dials, want 1", d)
		}
	})
}

// TestPoolRedials: a Conn that broke is replaced on the next call.
func TestPoolRedials(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newPipeNet(t)
		p := rpc.NewPool(rpc.Options{Dial: n.dial})
		defer p.Close()
		first, err := p.Conn(t.Context(), n.addr)
		if err != nil {
			t.Fatal(err)
		}
		_ = (<-n.peers).nc.Close()
		<-first.Done()
		go func() { (<-n.peers).serveEcho() }()
		second, err := p.Conn(t.Context(), n.addr)
		if err != nil {
			t.Fatal(err)
		}
		if second == first || second.Err() != nil {
			t.Errorf("got %p (err %v) after %p broke, want a new live Conn", second, second.Err(), first)
		}
		mustCall(t, second, request(1), "1")
		if d := n.dials.Load(); d != 2 {
			t.Errorf("%d dials, want 2", d)
		}
	})
}

// TestPoolDialBackoff: after a failed dial, calls fail fast with its error
// until the backoff (100 ms, doubling up to 5 s) has passed; a successful
// dial resets it.
func TestPoolDialBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var network memnet.Network
		var dials int
		dial := func(ctx context.Context, nw, addr string) (net.Conn, error) {
			dials++ // dials are serialised per address
			return network.Dial(ctx, nw, addr)
		}
		p := rpc.NewPool(rpc.Options{Dial: dial})
		defer p.Close()
		const addr = "127.0.0.1:4000"

		// expect calls p.Conn at the current virtual time and checks the
		// outcome and the dial count.
		expect := func(step string, wantErr bool, wantDials int) {
			t.Helper()
			_, err := p.Conn(t.Context(), addr)
			if wantErr != (err != nil) || (err != nil && !errors.Is(err, memnet.ErrRefused)) {
				t.Errorf("%s: Conn error %v, want refused=%v", step, err, wantErr)
			}
			if dials != wantDials {
				t.Errorf("%s: %d dials, want %d", step, dials, wantDials)
			}
		}
		expect("first", true, 1)
		expect("during 100ms backoff", true, 1)
		time.Sleep(99 * time.Millisecond)
		expect("at 99ms", true, 1)
		time.Sleep(time.Millisecond)
		expect("at 100ms", true, 2) // fails again: backoff 200 ms
		time.Sleep(199 * time.Millisecond)
		expect("199ms later", true, 2)
		time.Sleep(time.Millisecond)
		expect("200ms later", true, 3) // backoff 400 ms
		for _, d := range []time.Duration{400, 800, 1600, 3200, 5000, 5000} {
			time.Sleep(d*time.Millisecond - time.Millisecond)
			expect("just before", true, dials)
			time.Sleep(time.Millisecond)
			expect("after", true, dials+1)
		}

		ln, err := network.Listen("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			for {
				nc, err := ln.Accept()
				if err != nil {
					return
				}
				defer nc.Close()
				go newPeer(nc).serveEcho()
			}
		}()
		expect("listening, still in the 5s backoff", true, dials)
		time.Sleep(5 * time.Second)
		c, err := p.Conn(t.Context(), addr)
		if err != nil {
			t.Fatalf("after the backoff: %v", err)
		}
		mustCall(t, c, request(1), "1")

		// Success reset the backoff: after the next failure it is 100 ms again.
		_ = ln.Close()
		_ = c.Close()
		before := dials
		expect("listener gone", true, before+1)
		time.Sleep(100 * time.Millisecond)
		expect("100ms later", true, before+2)
	})
}

// TestPoolClose: Close closes the pool's Conns and later calls fail with
// ErrClosed; a caller waiting for a dial gives up with its ctx.
func TestPoolClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newPipeNet(t)
		stuck := make(chan struct{})
		dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
			if addr == "127.0.0.1:1" {
				select { // a dial that hangs until cancelled
				case <-ctx.Done():
					close(stuck)
					return nil, ctx.Err()
				case <-time.After(time.Hour):
				}
			}
			return n.dial(ctx, network, addr)
		}
		p := rpc.NewPool(rpc.Options{Dial: dial, DialTimeout: time.Hour})
		c, err := p.Conn(t.Context(), n.addr)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		if _, err := p.Conn(ctx, "127.0.0.1:1"); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Conn with a hanging dial: %v, want the ctx's deadline", err)
		}
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		<-stuck // Close cancelled the dial
		if !errors.Is(c.Err(), rpc.ErrClosed) {
			t.Errorf("pooled Conn after Close: Err() = %v", c.Err())
		}
		if _, err := p.Call(t.Context(), n.addr, request(1)); !errors.Is(err, rpc.ErrClosed) {
			t.Errorf("Call after Close: %v, want ErrClosed", err)
		}
		if err := p.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	})
}
