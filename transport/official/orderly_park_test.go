//go:build !race

package official

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/internal/clienttest"
)

// TestOfficialOrderlyParkOnClose closes an orderly consumer whose handler is
// stuck on the first message of each queue: Close gives up on the handler,
// the interrupted deliveries (and any arriving while it drains) are parked,
// neither handled nor acknowledged, and the next member of the group gets
// every message, each queue in order from its first offset.
// Built without -race, as TestOfficialOrderly (the official orderly
// consumer races by design); `task test` runs it in its non-race pass.
func TestOfficialOrderlyParkOnClose(t *testing.T) {
	be, _ := brokerBackend(t)
	topic, group := clienttest.UniqueName("park"), clienttest.UniqueName("park")
	p, err := be.NewProducer(client.ProducerConfig{Group: clienttest.UniqueName("park")})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = p.Close() }()
	const n = 40 // 10 per queue
	for i := range n {
		if _, err := p.Send(t.Context(), &client.Message{Topic: topic, Body: fmt.Appendf(nil, "%d", i)}); err != nil {
			t.Fatal(err)
		}
	}

	cfg := client.ConsumerConfig{Group: group, Subscriptions: []client.Subscription{{Topic: topic}}, Orderly: true,
		ConsumeFrom: client.ConsumeFromFirstOffset, PullBatchSize: 1, ConsumeBatchSize: 1, Concurrency: 1,
		SuspendInterval: 10 * time.Millisecond}
	var (
		qmu    sync.Mutex
		queues = map[int]bool{} // queues whose delivery is stuck in the handler
	)
	stuck, err := be.NewConsumer(cfg, func(ctx context.Context, msgs []*client.MessageExt) client.ConsumeResult {
		qmu.Lock()
		queues[msgs[0].Queue.QueueID] = true
		qmu.Unlock()
		<-ctx.Done()                 // until Close gives up on it
		return client.ConsumeSuccess // ignored: Close gave up, so nothing is acknowledged
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := stuck.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	giveUp, cancel := context.WithCancel(t.Context())
	cancel()
	defer func() { _ = stuck.Close(giveUp) }()
	waitUntil(t, "deliveries of two queues are stuck in the handler", func() bool {
		qmu.Lock()
		defer qmu.Unlock()
		return len(queues) >= 2
	})
	if err := stuck.Close(giveUp); !errors.Is(err, context.Canceled) {
		t.Fatalf("Close: %v, want the handler given up on", err)
	}

	var (
		mu     sync.Mutex
		seen   = map[string]bool{}
		last   = map[int]int64{} // per queue, the offset of the last first delivery
		broken []string
		all    = make(chan struct{})
	)
	next, err := be.NewConsumer(cfg, func(_ context.Context, msgs []*client.MessageExt) client.ConsumeResult {
		mu.Lock()
		defer mu.Unlock()
		before := len(seen)
		for _, m := range msgs {
			if seen[string(m.Body)] {
				continue
			}
			seen[string(m.Body)] = true
			if prev, ok := last[m.Queue.QueueID]; ok && m.QueueOffset <= prev {
				broken = append(broken, fmt.Sprintf("queue %d: offset %d after %d", m.Queue.QueueID, m.QueueOffset, prev))
			}
			last[m.Queue.QueueID] = m.QueueOffset
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
	mu.Lock()
	defer mu.Unlock()
	if len(broken) > 0 {
		t.Errorf("order broken: %v", broken)
	}
}
