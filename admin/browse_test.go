package admin_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/protocol/message"
)

// Browse reads a topic's messages by store time without consuming them.
func TestBrowse(t *testing.T) {
	b := brokertest.Start(t)
	ctx := t.Context()
	c, err := admin.New(admin.Config{NameServers: []string{b.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	const topic = "browse-orders"
	if _, err := c.UpdateTopic(ctx, admin.TopicSpec{Topic: topic, ReadQueues: 2, WriteQueues: 2}); err != nil {
		t.Fatal(err)
	}
	split := sendEarlyAndLate(t, b, topic)

	bodies := func(msgs []message.Ext) []string {
		out := make([]string, len(msgs))
		for i, m := range msgs {
			out[i] = string(m.Body)
		}
		slices.Sort(out)
		return out
	}
	all, err := c.Browse(ctx, admin.BrowseQuery{Topic: topic})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"early-0", "early-1", "early-2", "early-3", "early-4", "early-5", "late-0", "late-1", "late-2", "late-3"}
	if got := bodies(all); !slices.Equal(got, want) {
		t.Fatalf("Browse everything: %v, want %v", got, want)
	}
	if !slices.IsSortedFunc(all, func(a, b message.Ext) int {
		if a.QueueID != b.QueueID {
			return int(a.QueueID - b.QueueID)
		}
		return int(a.QueueOffset - b.QueueOffset)
	}) {
		t.Errorf("Browse did not return the messages by queue and offset")
	}
	late, err := c.Browse(ctx, admin.BrowseQuery{Topic: topic, Begin: split})
	if err != nil || !slices.Equal(bodies(late), want[6:]) {
		t.Errorf("Browse from the split: %v %v, want %v", bodies(late), err, want[6:])
	}
	early, err := c.Browse(ctx, admin.BrowseQuery{Topic: topic, End: split})
	if err != nil || !slices.Equal(bodies(early), want[:6]) {
		t.Errorf("Browse until the split: %v %v, want %v", bodies(early), err, want[:6])
	}
	if some, err := c.Browse(ctx, admin.BrowseQuery{Topic: topic, Max: 3}); err != nil || len(some) != 3 {
		t.Errorf("Browse Max 3: %d messages, %v", len(some), err)
	}
	if _, err := c.Browse(ctx, admin.BrowseQuery{Topic: "browse-nope"}); !errors.Is(err, admin.ErrTopicNotFound) {
		t.Errorf("Browse of a missing topic: %v, want ErrTopicNotFound", err)
	}
	if topics, _ := c.Topics(ctx); slices.Contains(topics, "browse-nope") {
		t.Errorf("Browse created the topic it looked for")
	}
}
