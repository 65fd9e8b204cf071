package transporttest_test

import (
	"context"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/transport"
	"github.com/rocketkit/rocketkit/transport/official"
	"github.com/rocketkit/rocketkit/transport/transporttest"
)

// A backend's contract test runs the suite with a factory of backends.
func ExampleRun() {
	_ = func(t *testing.T) {
		transporttest.Run(t, func(t *testing.T, nameServer string) transport.Backend {
			b, err := transport.Native(client.Config{NameServers: []string{nameServer}})
			if err != nil {
				t.Fatal(err)
			}
			return b
		})
	}
}

// The official client's backend waits for the suite's broker to be quiet
// before it shuts a consumer down.
func ExampleWaitQuiet() {
	_ = func(t *testing.T) {
		transporttest.Run(t, func(t *testing.T, ns string) transport.Backend {
			cfg := client.Config{NameServers: []string{ns}}
			b, err := official.New(cfg, official.WithQuietWait(func(ctx context.Context, quiet time.Duration) error {
				return transporttest.WaitQuiet(ctx, ns, quiet)
			}))
			if err != nil {
				t.Fatal(err)
			}
			return b
		})
	}
}
