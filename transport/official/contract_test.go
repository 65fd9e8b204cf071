package official_test

import (
	"context"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/transport"
	"github.com/rocketkit/rocketkit/transport/official"
	"github.com/rocketkit/rocketkit/transport/transporttest"
)

// newBackend makes the official backend for the suite's broker at ns,
// waiting for that broker to go quiet before shutting clients down.
func newBackend(t *testing.T, ns string) transport.Backend {
	b, err := official.New(client.Config{NameServers: []string{ns}},
		official.WithQuietWait(func(ctx context.Context, quiet time.Duration) error {
			return transporttest.WaitQuiet(ctx, ns, quiet)
		}))
	if err != nil {
		t.Fatalf("official.New: %v", err)
	}
	return b
}

// TestOfficial runs the contract suite but its orderly subtests, which
// TestOfficialOrderly runs in builds without the race detector.
func TestOfficial(t *testing.T) {
	transporttest.Run(t, newBackend, transporttest.WithoutOrderly())
}
