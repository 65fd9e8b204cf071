package txcheck_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/internal/backendtest"
	"github.com/rocketkit/rocketkit/internal/clienttest"
	"github.com/rocketkit/rocketkit/outbox"
	"github.com/rocketkit/rocketkit/transport"
	"github.com/rocketkit/rocketkit/txcheck"
)

// uniqueName gives client objects, groups and topics their own names.
var uniqueName = clienttest.UniqueName

// startBroker starts a broker whose check-backs begin after 300ms and
// repeat every 200ms, at most maxChecks times.
func startBroker(t testing.TB, maxChecks int) *broker.Broker {
	return brokertest.Start(t, brokertest.WithConfig(func(c *broker.Config) {
		c.TransactionTimeout = 300 * time.Millisecond
		c.TransactionCheckInterval = 200 * time.Millisecond
		c.TransactionCheckMax = maxChecks
	}))
}

// testConfig is a producer configuration for group.
func testConfig(group string) txcheck.Config {
	return txcheck.Config{
		Group:       group,
		GracePeriod: 1500 * time.Millisecond,
		Sweeper:     txcheck.SweeperConfig{After: 2 * time.Second},
	}
}

// startProducer starts a producer on be, closed at test end.
func startProducer(t testing.TB, be transport.Backend, cfg txcheck.Config, db outbox.Beginner, opts ...txcheck.Option) *txcheck.Producer {
	t.Helper()
	p, err := txcheck.New(be, db, cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// recorder collects deliveries by outbox key.
type recorder struct {
	mu   sync.Mutex
	keys []string
	body map[string]string
}

func (r *recorder) add(m *client.MessageExt) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.body == nil {
		r.body = map[string]string{}
	}
	k := m.Property(outbox.KeyProperty)
	r.keys = append(r.keys, k)
	r.body[k] = string(m.Body)
}

func (r *recorder) snapshot() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.keys...)
}

func (r *recorder) waitFor(t testing.TB, n int, timeout time.Duration) []string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for len(r.snapshot()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("received %d messages, want %d within %v", len(r.snapshot()), n, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return r.snapshot()
}

// startConsumer creates topic on b and records its messages, consumed by
// the kit's own client.
func startConsumer(t testing.TB, b *broker.Broker, topic string) *recorder {
	t.Helper()
	ac, err := admin.New(admin.Config{NameServers: []string{b.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ac.UpdateTopic(t.Context(), admin.TopicSpec{Topic: topic, Brokers: []string{b.Addr()}}); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	c, err := backendtest.Native(t, b).NewConsumer(client.ConsumerConfig{
		Group:         uniqueName("cg"),
		Subscriptions: []client.Subscription{{Topic: topic}},
		ConsumeFrom:   client.ConsumeFromFirstOffset,
	}, func(_ context.Context, msgs []*client.MessageExt) client.ConsumeResult {
		for _, m := range msgs {
			rec.add(m)
		}
		return client.ConsumeSuccess
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := c.Close(ctx); err != nil {
			t.Errorf("close consumer: %v", err)
		}
	})
	return rec
}

func waitUntil(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
