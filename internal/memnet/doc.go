// Package memnet is an in-memory network for tests that run a broker and
// its clients inside a testing/synctest bubble, where time is virtual.
//
// A goroutine blocked on a real socket is not "durably blocked", so a
// bubble's clock cannot advance while one waits on TCP; connections made of
// net.Pipe are, so a test can sleep ten virtual minutes in microseconds
// while the broker's delay, timer and check-back loops run exactly as they
// do in production. A Network hands out listeners (for broker.WithListenFunc)
// and dials them; addresses look like TCP addresses (127.0.0.1:port) so code
// that parses them works unchanged.
//
// # Use
//
//	synctest.Test(t, func(t *testing.T) {
//		var n memnet.Network
//		b, _ := broker.Start(ctx, cfg, broker.WithListenFunc(n.Listen))
//		nc, _ := n.Dial(ctx, "tcp", b.Addr())
//		...
//	})
//
// Create the Network inside the bubble that uses it. Connections are
// synchronous, as net.Pipe's are: a write returns once the peer has read it.
package memnet
