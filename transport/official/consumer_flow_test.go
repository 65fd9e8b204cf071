package official

import (
	"context"
	"fmt"
	"hash/fnv"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/internal/clienttest"
)

// A message stuck in its handler bounds how far its queue is read: the
// gate holds each queue's pull goroutine maxSpan offsets after its stuck
// first message (package client's bound), and the client's own span flow
// control, whose counter every pull goroutine writes without
// synchronisation, never engages (under -race, four queues meeting it at
// once are a data race). Once the stuck messages finish, everything is
// consumed.
func TestStuckMessagesBoundTheSpan(t *testing.T) {
	be, _ := brokerBackend(t)
	topic, group := clienttest.UniqueName("span"), clienttest.UniqueName("span")
	p, err := be.NewProducer(client.ProducerConfig{Group: clienttest.UniqueName("span")})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = p.Close() }()
	const queues, perQueue, batchSize = 4, 3000, 100
	for _, key := range keysPerQueue(queues) {
		for b := range perQueue / batchSize {
			msgs := make([]*client.Message, batchSize)
			for i := range msgs {
				msgs[i] = &client.Message{Topic: topic, Body: fmt.Appendf(nil, "%s-%d-%d", key, b, i)}
			}
			if _, err := p.SendBatch(t.Context(), msgs, client.HashKey(key)); err != nil {
				t.Fatal(err)
			}
		}
	}

	var (
		mu       sync.Mutex
		maxSeen  = map[int]int64{} // per queue id
		consumed = map[string]bool{}
		all      = make(chan struct{})
		release  = make(chan struct{})
		unstick  = sync.OnceFunc(func() { close(release) })
	)
	c, err := be.NewConsumer(client.ConsumerConfig{Group: group, Subscriptions: []client.Subscription{{Topic: topic}},
		ConsumeFrom: client.ConsumeFromFirstOffset},
		func(_ context.Context, msgs []*client.MessageExt) client.ConsumeResult {
			m := msgs[0]
			if m.QueueOffset == 0 {
				<-release
			}
			mu.Lock()
			defer mu.Unlock()
			maxSeen[m.Queue.QueueID] = max(maxSeen[m.Queue.QueueID], m.QueueOffset)
			before := len(consumed)
			consumed[string(m.Body)] = true
			if before < queues*perQueue && len(consumed) == queues*perQueue {
				close(all)
			}
			return client.ConsumeSuccess
		})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close(context.Background()) }()
	defer unstick() // before Close, when the test fails early
	g := c.(*cons).gate
	waitUntil(t, "every queue's pull goroutine is held", func() bool { return g.waiting() == queues })
	mu.Lock()
	for q, off := range maxSeen {
		if off > maxSpan {
			t.Errorf("queue %d: offset %d consumed while offset 0 was stuck", q, off)
		}
	}
	mu.Unlock()
	unstick()
	select {
	case <-all:
	case <-time.After(stallWait):
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("consumed %d of %d messages", len(consumed), queues*perQueue)
	}
}

// keysPerQueue returns a hash key for each of n queues (client.HashKey
// picks fnv32a(key) modulo the queue count).
func keysPerQueue(n int) []string {
	keys := make([]string, n)
	found := 0
	for i := 0; found < n; i++ {
		key := fmt.Sprint("key-", i)
		h := fnv.New32a()
		_, _ = h.Write([]byte(key))
		if q := int(h.Sum32() % uint32(n)); keys[q] == "" {
			keys[q] = key
			found++
		}
	}
	return keys
}
