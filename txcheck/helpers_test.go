package txcheck_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/internal/clienttest"
	"github.com/rocketkit/rocketkit/outbox"
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

// testConfig is a producer configuration for group on b.
func testConfig(b *broker.Broker, group string) txcheck.Config {
	return txcheck.Config{
		NameServers:  []string{b.Addr()},
		Group:        group,
		InstanceName: uniqueName("tx"),
		GracePeriod:  1500 * time.Millisecond,
		Sweeper:      txcheck.SweeperConfig{After: 2 * time.Second},
	}
}

func startProducer(t testing.TB, cfg txcheck.Config, db outbox.Beginner, opts ...txcheck.Option) *txcheck.Producer {
	t.Helper()
	p, err := txcheck.New(cfg, db, opts...)
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

func (r *recorder) add(m *primitive.MessageExt) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.body == nil {
		r.body = map[string]string{}
	}
	k := m.GetProperty(outbox.KeyProperty)
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

func startConsumer(t testing.TB, b *broker.Broker, topic string) *recorder {
	t.Helper()
	rec := &recorder{}
	// Shut down at test end once settled (see clienttest.Consumer).
	c := clienttest.NewConsumer(t, b,
		consumer.WithNameServer(primitive.NamesrvAddr{b.Addr()}),
		consumer.WithGroupName(uniqueName("cg")),
		consumer.WithInstance(uniqueName("c")),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
	)
	err := c.Subscribe(topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "*"},
		func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			for _, m := range msgs {
				rec.add(m)
			}
			return consumer.ConsumeSuccess, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
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
