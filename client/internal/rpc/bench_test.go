package rpc_test

import (
	"context"
	"net"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/client/internal/rpc"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// BenchmarkConnCall measures GET_MAX_OFFSET round trips against the
// rocketkit broker over loopback TCP, with 1, 20 and 64 concurrent callers
// sharing one Conn, and for comparison with a Conn per caller. The
// callers' count is rounded to a multiple of GOMAXPROCS (b.RunParallel);
// writes/op and reads/op count the client's syscalls per call, which is
// what coalescing saves.
func BenchmarkConnCall(b *testing.B) {
	br := brokertest.Start(b)
	req := maxOffsetRequest("rpc_bench") // Call does not modify req: all callers share it
	for _, callers := range []int{1, 20, 64} {
		b.Run("shared/callers="+strconv.Itoa(parallelism(callers)), func(b *testing.B) {
			benchCalls(b, br.Addr(), req, callers, true)
		})
	}
	for _, callers := range []int{20, 64} {
		b.Run("conn-per-caller/callers="+strconv.Itoa(parallelism(callers)), func(b *testing.B) {
			benchCalls(b, br.Addr(), req, callers, false)
		})
	}
}

// parallelism is the number of goroutines b.RunParallel starts for about
// callers callers.
func parallelism(callers int) int {
	if callers == 1 {
		return 1
	}
	p := runtime.GOMAXPROCS(0)
	return max(1, (callers+p/2)/p) * p
}

func benchCalls(b *testing.B, addr string, req *remoting.Command, callers int, shared bool) {
	var syscalls ioCounts
	opts := rpc.Options{Dial: syscalls.dial}
	dial := func() *rpc.Conn {
		c, err := rpc.Dial(context.Background(), addr, opts)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = c.Close() })
		return c
	}
	call := func(c *rpc.Conn) {
		resp, err := c.Call(context.Background(), req)
		if err != nil || resp.Code != remoting.Success {
			b.Fatalf("call: %v, %v", resp, err)
		}
	}
	c := dial()
	call(c) // warm up: connection and buffers
	b.ReportAllocs()
	syscalls.reset()
	if callers == 1 {
		for b.Loop() {
			call(c)
		}
	} else {
		conns := make(chan *rpc.Conn, parallelism(callers))
		for range cap(conns) {
			if shared {
				conns <- c
			} else {
				conns <- dial()
			}
		}
		b.SetParallelism(parallelism(callers) / runtime.GOMAXPROCS(0))
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			c := <-conns
			for pb.Next() {
				call(c)
			}
		})
	}
	b.ReportMetric(float64(syscalls.writes.Load())/float64(b.N), "writes/op")
	b.ReportMetric(float64(syscalls.reads.Load())/float64(b.N), "reads/op")
}

// ioCounts counts the Read and Write calls on the connections it dials.
type ioCounts struct{ reads, writes atomic.Int64 }

func (n *ioCounts) reset() { n.reads.Store(0); n.writes.Store(0) }

func (n *ioCounts) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return countedConn{Conn: nc, n: n}, nil
}

type countedConn struct {
	net.Conn
	n *ioCounts
}

func (c countedConn) Read(b []byte) (int, error) {
	c.n.reads.Add(1)
	return c.Conn.Read(b)
}

func (c countedConn) Write(b []byte) (int, error) {
	c.n.writes.Add(1)
	return c.Conn.Write(b)
}
