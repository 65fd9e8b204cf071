package backendtest

import (
	"testing"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/internal/clienttest"
	"github.com/rocketkit/rocketkit/transport"
	"github.com/rocketkit/rocketkit/transport/official"
)

// Backend is one of the kit's backends, for tests of code built on the
// transport seam (outbox, txcheck, the watermill adapter) that must hold
// on both.
type Backend struct {
	Name string // transport.NativeName or official.Name
	// Open returns the backend on broker b (its name server role), closed
	// at test end, after what the test made from it.
	Open func(t testing.TB, b *broker.Broker) transport.Backend
}

// Backends are the kit's own client and the official one.
var Backends = []Backend{
	{transport.NativeName, Native},
	{official.Name, Official},
}

// ForEachBackend runs f as a subtest per backend, named after it.
func ForEachBackend(t *testing.T, f func(t *testing.T, be Backend)) {
	for _, be := range Backends {
		t.Run(be.Name, func(t *testing.T) { f(t, be) })
	}
}

// Native is the kit's own client on b, closed at test end.
func Native(t testing.TB, b *broker.Broker) transport.Backend {
	t.Helper()
	be, err := transport.Native(client.Config{NameServers: []string{b.Addr()}, InstanceName: clienttest.UniqueName("native")})
	if err != nil {
		t.Fatalf("native backend: %v", err)
	}
	t.Cleanup(func() { _ = be.Close() })
	return be
}

// Official is the official client's backend on b, closed at test end; its
// consumers close once the broker went quiet (official.WithQuietWait).
func Official(t testing.TB, b *broker.Broker) transport.Backend {
	t.Helper()
	be, err := official.New(client.Config{NameServers: []string{b.Addr()}, InstanceName: clienttest.UniqueName("official")},
		official.WithQuietWait(b.WaitQuiet))
	if err != nil {
		t.Fatalf("official backend: %v", err)
	}
	t.Cleanup(func() { _ = be.Close() })
	return be
}
