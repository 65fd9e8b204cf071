package rpc_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rocketkit/rocketkit/client/internal/rpc"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// TestConnEndsUnderLoad ends a connection (by Close, or by the server
// closing it) while 50 goroutines call, call asynchronously and send
// one-way requests with bodies of every size: every call ends, with its
// own response or with an error saying the connection ended, and nothing
// is left running. It runs over TCP, where goroutines really interleave.
func TestConnEndsUnderLoad(t *testing.T) {
	for _, how := range []string{"client closes", "server closes"} {
		t.Run(how, func(t *testing.T) {
			var (
				mu    sync.Mutex
				peers []*peer
			)
			addr := tcpServer(t, nil, func(p *peer) {
				mu.Lock()
				peers = append(peers, p)
				mu.Unlock()
				serveBodies(p)
			})
			c, err := rpc.Dial(t.Context(), addr, rpc.Options{})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			var wg sync.WaitGroup
			for g := range 50 {
				wg.Go(func() {
					for i := 0; ; i++ {
						size := bodySizes[(g+i)%len(bodySizes)] / 8
						n := g*1000 + i
						var err error
						switch i % 3 {
						case 0:
							err = callBody(ctx, c, n, size)
						case 1:
							done := make(chan error, 1)
							c.CallAsync(bodyRequest(n, size), 5*time.Second, func(_ *remoting.Command, err error) { done <- err })
							err = <-done
						default:
							err = c.Oneway(ctx, bodyRequest(n, size))
						}
						if err != nil {
							if !errors.Is(err, rpc.ErrClosed) && !errors.Is(err, rpc.ErrConnBroken) {
								t.Errorf("request %d: %v", n, err)
							}
							return
						}
					}
				})
			}
			time.Sleep(50 * time.Millisecond)
			if how == "client closes" {
				_ = c.Close()
			} else {
				mu.Lock()
				_ = peers[0].nc.Close()
				mu.Unlock()
			}
			wg.Wait()
			<-c.Done()
			_ = c.Close()
		})
	}
}

// TestConnCloseFromHandler: a Handler may close its own connection.
func TestConnCloseFromHandler(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newPipeNet(t)
		handler := func(_ context.Context, c *rpc.Conn, _ *remoting.Command) *remoting.Command {
			_ = c.Close()
			return &remoting.Command{Remark: "bye"}
		}
		c, p := n.connect(t, rpc.Options{Handler: handler})
		go func() { _, _ = p.read() }() // takes nothing: the response is dropped after Close
		if err := p.write(&remoting.Command{Code: remoting.GetConsumerRunningInfo, Opaque: 1}); err != nil {
			t.Fatal(err)
		}
		<-c.Done()
		if !errors.Is(c.Err(), rpc.ErrClosed) {
			t.Errorf("Err() = %v, want ErrClosed", c.Err())
		}
	})
}
