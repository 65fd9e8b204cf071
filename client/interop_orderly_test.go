//go:build !race

// The official Go client's orderly consumer races by design (see
// transport/official), so this interop test builds without -race and is
// named *OfficialOrderly*: the Taskfile runs it in its non-race pass.

package client

import (
	"context"
	"strconv"
	"sync"
	"testing"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/rocketkit/rocketkit/internal/clienttest"
)

// An orderly group of one official and one kit member: each queue is
// consumed by one member only (the broker's locks hold across the two
// clients), every message once, each key's messages in send order.
func TestOfficialOrderlyGroupWithOurs(t *testing.T) {
	b := startBroker(t)
	c := newTestClient(t, b, "orderly-mixed")
	createTopic(t, c, b, "mixed_orderly", 4)

	type delivery struct {
		member string
		queue  int
		body   string
	}
	var (
		mu   sync.Mutex
		seen []delivery
	)
	record := func(member string, queue int, body string) {
		mu.Lock()
		seen = append(seen, delivery{member, queue, body})
		mu.Unlock()
	}
	ours := startConsumer(t, c, ConsumerConfig{Group: "mixed_orderly", Orderly: true, ConsumeFrom: ConsumeFromFirstOffset,
		Subscriptions: []Subscription{{Topic: "mixed_orderly"}}},
		func(_ context.Context, msgs []*MessageExt) ConsumeResult {
			for _, m := range msgs {
				record("ours", m.Queue.QueueID, string(m.Body))
			}
			return ConsumeSuccess
		})
	official := clienttest.NewConsumer(t, b, consumer.WithNameServer(primitive.NamesrvAddr{b.Addr()}),
		consumer.WithGroupName("mixed_orderly"), consumer.WithInstance("mixed-orderly-official"),
		consumer.WithConsumerOrder(true), consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset))
	err := official.Subscribe("mixed_orderly", consumer.MessageSelector{Type: consumer.TAG, Expression: "*"},
		func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			for _, m := range msgs {
				record("official", m.Queue.QueueId, string(m.Body))
			}
			return consumer.ConsumeSuccess, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if err := official.Start(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the group of two to split the queues", func() bool {
		return len(b.GroupMembers("mixed_orderly")) == 2 && len(topicQueues(ours.Queues(), "mixed_orderly")) == 2
	})

	p, err := c.NewProducer(ProducerConfig{Group: "mixed_orderly_pg"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	const keys, perKey = 8, 10
	for i := range perKey {
		for k := range keys {
			key := "key" + strconv.Itoa(k)
			if _, err := p.Send(t.Context(), &Message{Topic: "mixed_orderly", Body: []byte(key + "-" + strconv.Itoa(i))},
				HashKey(key)); err != nil {
				t.Fatal(err)
			}
		}
	}
	waitUntil(t, "every message consumed", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) >= keys*perKey
	})
	mu.Lock()
	defer mu.Unlock()
	owner := map[int]string{}
	next := map[string]int{}
	count := map[string]int{}
	for _, d := range seen {
		if o, ok := owner[d.queue]; ok && o != d.member {
			t.Errorf("queue %d consumed by %s and %s", d.queue, o, d.member)
		}
		owner[d.queue] = d.member
		count[d.body]++
		key, n := d.body[:4], d.body[5:]
		if n != strconv.Itoa(next[key]) {
			t.Errorf("%s: got %s, want %s-%d next", key, d.body, key, next[key])
		}
		next[key]++
	}
	members := map[string]bool{}
	for _, m := range owner {
		members[m] = true
	}
	if len(members) != 2 {
		t.Errorf("queue owners %v: want both members consuming", owner)
	}
	for body, n := range count {
		if n != 1 {
			t.Errorf("%s consumed %d times", body, n)
		}
	}
}
