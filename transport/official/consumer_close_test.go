package official

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/internal/clienttest"
)

// stallWait bounds the waits of TestCloseAStalledConsumer: generous, as it
// asserts what happens, never how fast.
const stallWait = 30 * time.Second

// Close of a consumer whose handler is stuck, with every queue's channel
// full and its pull goroutine held by the gate (one-message batches, one
// handler slot), is race-free (under -race: no pull goroutine is blocked
// sending when Shutdown closes the channel) and loses nothing: the next
// member of the group gets every message.
func TestCloseAStalledConsumer(t *testing.T) {
	br := brokertest.Start(t)
	be, err := New(client.Config{NameServers: []string{br.Addr()}}, WithQuietWait(br.WaitQuiet))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = be.Close() })
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
	g := stuck.(*cons).gate
	queues := 4 // the broker's default for a new topic
	deadline := time.Now().Add(stallWait)
	for g.waiting() < queues {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d pull goroutines held by the gate after %v", g.waiting(), queues, stallWait)
		}
		time.Sleep(10 * time.Millisecond)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // give up on the stuck handler at once
	if err := stuck.Close(ctx); !errors.Is(err, context.Canceled) {
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
