package admin_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/internal/clienttest"
)

// received collects message bodies from a consumer.
type received struct {
	mu     sync.Mutex
	bodies []string
}

func (r *received) add(msgs ...*primitive.MessageExt) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range msgs {
		r.bodies = append(r.bodies, string(m.Body))
	}
}

func (r *received) snapshot() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.bodies...)
}

// A stopped group reset to a moment consumes again from there: the
// messages stored after it, none before; a reset to the future skips
// everything. (Live groups: TestResetOffsetOfLiveGroup.)
func TestResetOffsetByTime(t *testing.T) {
	b := brokertest.Start(t)
	ctx := t.Context()
	const topic, group = "reset-orders", "reset-billing"
	resetTo := sendEarlyAndLate(t, b, topic)

	c, err := admin.New(admin.Config{NameServers: []string{b.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	consume := func() (*clienttest.Consumer, *received) {
		got := &received{}
		cons := clienttest.NewConsumer(t, b, consumer.WithNameServer(primitive.NamesrvAddr{b.Addr()}),
			consumer.WithGroupName(group), consumer.WithInstance(clienttest.UniqueName("reset-consumer")),
			consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset))
		err := cons.Subscribe(topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "*"},
			func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
				got.add(msgs...)
				return consumer.ConsumeSuccess, nil
			})
		if err != nil {
			t.Fatal(err)
		}
		if err := cons.Start(); err != nil {
			t.Fatal(err)
		}
		return cons, got
	}
	// waitConsumed waits until the group has no lag and want bodies arrived.
	waitConsumed := func(got *received, want int) []string {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			stats, err := c.ConsumeStats(ctx, group, topic)
			if err != nil {
				t.Fatal(err)
			}
			var lag int64
			for _, q := range stats {
				lag += q.Lag()
			}
			bodies := got.snapshot()
			if len(stats) == 4 && lag == 0 && len(bodies) >= want {
				return bodies
			}
			if time.Now().After(deadline) {
				t.Fatalf("lag %d over %d queues and %d of %d messages received", lag, len(stats), len(bodies), want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	first, got := consume()
	if bodies := waitConsumed(got, 10); len(bodies) != 10 {
		t.Fatalf("first run consumed %d messages, want 10: %v", len(bodies), bodies)
	}
	if err := first.Shutdown(); err != nil {
		t.Fatal(err)
	}
	waitOffline(t, c, group)

	resets, err := c.ResetOffset(ctx, group, topic, resetTo)
	if err != nil {
		t.Fatal(err)
	}
	status, err := c.TopicStatus(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	var old, replay int64
	for i, r := range resets {
		old += r.OldOffset
		replay += status[i].MaxOffset - r.NewOffset
		if r.QueueID != status[i].QueueID || r.NewOffset > r.OldOffset {
			t.Errorf("reset %+v against status %+v", r, status[i])
		}
	}
	if len(resets) != 4 || old != 10 || replay != 4 {
		t.Fatalf("resets %+v: old offsets sum to %d (want 10), %d messages to replay (want 4)", resets, old, replay)
	}

	second, got := consume()
	bodies := waitConsumed(got, 4)
	for _, body := range bodies {
		if !strings.HasPrefix(body, "late-") {
			t.Errorf("after the reset the group received %q, stored before the reset time", body)
		}
	}
	if len(bodies) != 4 {
		t.Errorf("after the reset the group received %v, want the 4 late messages", bodies)
	}
	if err := second.Shutdown(); err != nil {
		t.Fatal(err)
	}
	waitOffline(t, c, group)

	skip, err := c.ResetOffset(ctx, group, topic, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range skip {
		if r.NewOffset != status[i].MaxOffset {
			t.Errorf("reset to the future: queue %d at %d, want its max offset %d", r.QueueID, r.NewOffset, status[i].MaxOffset)
		}
	}
	if _, err := c.ResetOffset(ctx, group, "no-such-topic", resetTo); !errors.Is(err, admin.ErrTopicNotFound) {
		t.Errorf("reset on a missing topic: %v, want ErrTopicNotFound", err)
	}
}

// waitOffline waits until the broker no longer lists a member of group.
func waitOffline(t *testing.T, c *admin.Client, group string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		members, err := c.GroupMembers(t.Context(), group)
		if errors.Is(err, admin.ErrGroupOffline) || err == nil && len(members) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("group %s still has members %+v (%v)", group, members, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// sendEarlyAndLate sends six messages early-0..5 to topic, then four
// late-0..3, and returns a moment between the two batches.
func sendEarlyAndLate(t *testing.T, b *broker.Broker, topic string) time.Time {
	t.Helper()
	p, err := producer.NewDefaultProducer(producer.WithNameServer(primitive.NamesrvAddr{b.Addr()}),
		producer.WithGroupName("admin-test"), producer.WithInstanceName(clienttest.UniqueName("admin-producer")))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown()
	send := func(prefix string, n int) {
		for i := range n {
			if _, err := p.SendSync(t.Context(), primitive.NewMessage(topic, fmt.Appendf(nil, "%s-%d", prefix, i))); err != nil {
				t.Fatal(err)
			}
		}
	}
	send("early", 6)
	time.Sleep(20 * time.Millisecond) // store times are in milliseconds: keep the batches apart
	split := time.Now()
	time.Sleep(20 * time.Millisecond)
	send("late", 4)
	return split
}
