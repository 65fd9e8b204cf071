package official

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/internal/clienttest"
	"github.com/rocketkit/rocketkit/transport"
)

// stallWait bounds the waits of the tests on a broker: generous, as they
// assert what happens, never how fast.
const stallWait = 30 * time.Second

// brokerBackend starts a broker and returns the backend on it, closed at
// test end.
func brokerBackend(t *testing.T) (transport.Backend, *broker.Broker) {
	t.Helper()
	br := brokertest.Start(t)
	be, err := New(client.Config{NameServers: []string{br.Addr()}}, WithQuietWait(br.WaitQuiet))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = be.Close() })
	return be, br
}

// waitUntil waits until cond holds, failing the test after stallWait.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(stallWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not so after %v: %s", stallWait, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Close of a consumer whose handler is stuck, with every queue's channel
// full and its pull goroutine held by the gate (one-message batches, one
// handler slot), is race-free (under -race: no pull goroutine is blocked
// sending when Shutdown closes the channel) and loses nothing: the next
// member of the group gets every message.
func TestCloseAStalledConsumer(t *testing.T) {
	be, _ := brokerBackend(t)
	topic, group := clienttest.UniqueName("stall"), clienttest.UniqueName("stall")
	p, err := be.NewProducer(client.ProducerConfig{Group: clienttest.UniqueName("stall")})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = p.Close() }()
	const n = 200 // 50 per queue: more than a channel and a handler slot take
	for i := range n {
		if _, err := p.Send(t.Context(), &client.Message{Topic: topic, Body: fmt.Appendf(nil, "%d", i)}); err != nil {
			t.Fatal(err)
		}
	}

	cfg := client.ConsumerConfig{Group: group, Subscriptions: []client.Subscription{{Topic: topic}},
		ConsumeFrom: client.ConsumeFromFirstOffset, PullBatchSize: 1, Concurrency: 1}
	stuck, err := be.NewConsumer(cfg, func(ctx context.Context, _ []*client.MessageExt) client.ConsumeResult {
		<-ctx.Done() // until Close gives up on it
		return client.ConsumeRetry
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := stuck.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	giveUp, cancel := context.WithCancel(t.Context())
	cancel()                                   // Close gives up on the stuck handler at once
	defer func() { _ = stuck.Close(giveUp) }() // when the test fails early
	g := stuck.(*cons).gate
	const queues = 4 // the broker's default for a new topic
	waitUntil(t, "every queue's pull goroutine is held", func() bool { return g.waiting() == queues })
	if err := stuck.Close(giveUp); !errors.Is(err, context.Canceled) {
		t.Fatalf("Close: %v, want the handler given up on", err)
	}

	var (
		mu   sync.Mutex
		seen = map[string]bool{}
		all  = make(chan struct{})
	)
	next, err := be.NewConsumer(cfg, func(_ context.Context, msgs []*client.MessageExt) client.ConsumeResult {
		mu.Lock()
		defer mu.Unlock()
		before := len(seen)
		for _, m := range msgs {
			seen[string(m.Body)] = true
		}
		if before < n && len(seen) == n {
			close(all)
		}
		return client.ConsumeSuccess
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := next.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = next.Close(context.Background()) }()
	select {
	case <-all:
	case <-time.After(stallWait):
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("the next member got %d of %d messages", len(seen), n)
	}
}
