package client

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/rocketkit/rocketkit/internal/clienttest"
)

// A group mixing this client and the official Go client splits the queues
// with neither overlap nor gap: every message is consumed once, by the
// member that owns its queue by both clients' allocation.
func TestConsumerGroupWithOfficialClient(t *testing.T) {
	b := startBroker(t)
	c := newTestClient(t, b, "kit")
	createTopic(t, c, b, "mixed", 8)
	in := newInbox()
	ours := startConsumer(t, c, ConsumerConfig{Group: "mixed", ConsumeFrom: ConsumeFromFirstOffset,
		Subscriptions: []Subscription{{Topic: "mixed"}}}, in.handler(nil))

	var mu sync.Mutex
	var theirs []*primitive.MessageExt
	official := clienttest.NewConsumer(t, b,
		consumer.WithNameServer(primitive.NamesrvAddr{b.Addr()}),
		consumer.WithGroupName("mixed"),
		consumer.WithInstance("official"),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
		consumer.WithPullThresholdForQueue(65535), consumer.WithConsumeConcurrentlyMaxSpan(65535))
	err := official.Subscribe("mixed", consumer.MessageSelector{Type: consumer.TAG, Expression: "*"},
		func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			mu.Lock()
			theirs = append(theirs, msgs...)
			mu.Unlock()
			return consumer.ConsumeSuccess, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if err := official.Start(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the group of two to settle", func() bool {
		return len(b.GroupMembers("mixed")) == 2 && len(topicQueues(ours.Queues(), "mixed")) == 4
	})
	var ids []string
	for _, m := range b.GroupMembers("mixed") {
		ids = append(ids, m.ClientID)
	}
	all := testQueues(8)
	for i := range all {
		all[i].Topic, all[i].BrokerName = "mixed", b.Config().BrokerName
	}
	mine := topicQueues(ours.Queues(), "mixed")
	if want := allocateAveragely(all, ids, ours.MemberID()); !slices.Equal(mine, want) {
		t.Fatalf("we own %s, allocation says %s", queueIDs(mine), queueIDs(want))
	}

	sent := send(t, c, b, "mixed", spread(80, 8, "")...)
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(theirs) + in.len()
	}
	waitUntil(t, "80 messages consumed by the group", func() bool { return count() >= 80 })
	seen := map[string]int{}
	for _, m := range in.all() {
		seen[m.MsgID]++
		if !slices.Contains(mine, m.Queue) {
			t.Errorf("we consumed from %v, which we do not own", m.Queue)
		}
	}
	mu.Lock()
	for _, m := range theirs {
		seen[m.MsgId]++
		if slices.Contains(mine, MessageQueue{Topic: m.Topic, BrokerName: m.Queue.BrokerName, QueueID: m.Queue.QueueId}) {
			t.Errorf("the official client consumed from queue %d, which we own", m.Queue.QueueId)
		}
	}
	n := len(theirs)
	mu.Unlock()
	for _, id := range sent {
		if seen[id] != 1 {
			t.Fatalf("message %s consumed %d times", id, seen[id])
		}
	}
	if n == 0 || in.len() == 0 {
		t.Fatalf("the official client consumed %d, we %d: not a split", n, in.len())
	}
}
