package outbox

import (
	"fmt"
	"testing"

	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/transport"
)

// The relay's selector puts a sharding key in the queue client.HashKey
// picks, spreads messages without one, and learns the topic's queue count,
// which a Native producer also tells before the first send.
func TestQueueSelector(t *testing.T) {
	b := brokertest.Start(t)
	be, err := transport.Native(client.Config{NameServers: []string{b.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = be.Close() })
	p, err := NewProducer(be, ProducerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	ctx := t.Context()
	const topic = "selector_test"

	lister := listerOf(p)
	if lister == nil {
		t.Fatal("a Native producer lists no queues")
	}
	queues, err := lister.Queues(ctx, topic)
	if err != nil || len(queues) != 4 {
		t.Fatalf("Queues = %v, %v; want the 4 of an auto-created topic", queues, err)
	}

	sel := &queueSelector{}
	opt := client.WithSelector(sel)
	for i := range 20 {
		key := fmt.Sprintf("order-%d", i)
		m := (Record{Key: NewKey(), Topic: topic, ShardingKey: key, Body: []byte("x")}).Message()
		ours, err := p.Send(ctx, m, opt)
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := p.Send(ctx, m, client.HashKey(key))
		if err != nil {
			t.Fatal(err)
		}
		if ours.Queue != theirs.Queue || ours.Queue.QueueID != queueSlot(key, 4) {
			t.Errorf("key %s: selector queue %v, HashKey queue %v, slot %d", key, ours.Queue, theirs.Queue, queueSlot(key, 4))
		}
	}
	if n := sel.count(topic); n != 4 {
		t.Errorf("count = %d, want 4", n)
	}
	used := map[int]bool{}
	for range 8 {
		m := (Record{Key: NewKey(), Topic: topic, Body: []byte("x")}).Message()
		if _, ok := m.Properties[message.PropertyShardingKey]; ok {
			t.Fatal("a message without a sharding key carries SHARDING_KEY")
		}
		res, err := p.SendBatch(ctx, []*client.Message{m, m}, opt)
		if err != nil {
			t.Fatal(err)
		}
		used[res.Queue.QueueID] = true
	}
	if len(used) != 4 {
		t.Errorf("messages without a sharding key went to queues %v, want all 4 in turn", used)
	}
}
