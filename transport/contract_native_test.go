package transport_test

import (
	"testing"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/transport"
	"github.com/rocketkit/rocketkit/transport/transporttest"
)

// The kit's own client passes the contract suite, orderly included, under
// the race detector.
func TestNative(t *testing.T) {
	transporttest.Run(t, func(t *testing.T, nameServer string) transport.Backend {
		b, err := transport.Native(client.Config{NameServers: []string{nameServer}})
		if err != nil {
			t.Fatal(err)
		}
		return b
	})
}
