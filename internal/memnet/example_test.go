package memnet_test

import (
	"testing"
	"testing/synctest"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/internal/memnet"
)

// A broker on an in-memory network inside a synctest bubble, and a
// connection to it (the package documentation's Use).
func Example() {
	_ = func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ctx := t.Context()
			cfg := broker.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir()}
			var n memnet.Network
			b, _ := broker.Start(ctx, cfg, broker.WithListenFunc(n.Listen))
			defer b.Close()
			nc, _ := n.Dial(ctx, "tcp", b.Addr())
			defer nc.Close()
		})
	}
}
