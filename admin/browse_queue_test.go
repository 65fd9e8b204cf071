package admin_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/client"
)

// ReadQueue reads one page of one queue: from an offset, or from a time,
// at most Max messages, and says where the next page starts.
func TestReadQueue(t *testing.T) {
	b := brokertest.Start(t)
	ctx := t.Context()
	c, err := admin.New(admin.Config{NameServers: []string{b.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	const topic = "read-queue"
	if _, err := c.UpdateTopic(ctx, admin.TopicSpec{Topic: topic, ReadQueues: 1, WriteQueues: 1}); err != nil {
		t.Fatal(err)
	}
	cl, err := client.New(client.Config{NameServers: []string{b.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	p, err := cl.NewProducer(client.ProducerConfig{Group: "read-queue-pg"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for i := range 10 {
		if _, err := p.Send(ctx, &client.Message{Topic: topic, Body: fmt.Appendf(nil, "m%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	page := admin.QueuePage{Topic: topic, BrokerName: "broker-a", QueueID: 0, From: 3, Max: 4}
	msgs, qs, next, err := c.ReadQueue(ctx, page)
	if err != nil || len(msgs) != 4 || msgs[0].QueueOffset != 3 || msgs[3].QueueOffset != 6 || next != 7 || qs.MaxOffset != 10 {
		t.Fatalf("from 3, max 4: %d messages, status %+v, next %d, %v", len(msgs), qs, next, err)
	}
	if string(msgs[0].Body) != "m3" {
		t.Fatalf("offset 3 holds %q", msgs[0].Body)
	}
	page.From, page.Max = 8, 32
	if msgs, _, next, err = c.ReadQueue(ctx, page); err != nil || len(msgs) != 2 || next != 10 {
		t.Fatalf("the last page: %d messages, next %d, %v", len(msgs), next, err)
	}
	page.From, page.Begin = -1, time.Now().Add(time.Hour)
	if msgs, _, next, err = c.ReadQueue(ctx, page); err != nil || len(msgs) != 0 || next != 10 {
		t.Fatalf("from a future time: %d messages, next %d, %v", len(msgs), next, err)
	}
	page.Begin = time.Now().Add(-time.Hour)
	if msgs, _, _, err = c.ReadQueue(ctx, page); err != nil || len(msgs) != 10 {
		t.Fatalf("from an hour ago: %d messages, %v", len(msgs), err)
	}
	page.QueueID = 5
	if _, _, _, err = c.ReadQueue(ctx, page); !errors.Is(err, admin.ErrNotFound) {
		t.Fatalf("a missing queue: %v, want ErrNotFound", err)
	}
	if _, _, _, err = c.ReadQueue(ctx, admin.QueuePage{Topic: "no-such-topic"}); !errors.Is(err, admin.ErrTopicNotFound) {
		t.Fatalf("a missing topic: %v, want ErrTopicNotFound", err)
	}
}

// A TopicReader reads every queue of a topic with the look-ups made once,
// when opened: one topic-stats request however many queues it reads.
func TestTopicReaderLooksUpOnce(t *testing.T) {
	b := brokertest.Start(t)
	ctx := t.Context()
	c, err := admin.New(admin.Config{NameServers: []string{b.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	const topic = "topic-reader"
	if _, err := c.UpdateTopic(ctx, admin.TopicSpec{Topic: topic, ReadQueues: 8, WriteQueues: 8}); err != nil {
		t.Fatal(err)
	}
	before := b.Stats().Requests["GET_TOPIC_STATS_INFO"]
	r, err := c.OpenTopic(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	queues := r.Queues()
	if len(queues) != 8 {
		t.Fatalf("%d queues, want 8", len(queues))
	}
	for _, q := range queues {
		if _, _, _, err := r.Read(ctx, admin.QueuePage{BrokerName: q.BrokerName, QueueID: q.QueueID}); err != nil {
			t.Fatal(err)
		}
	}
	if n := b.Stats().Requests["GET_TOPIC_STATS_INFO"] - before; n != 1 {
		t.Errorf("reading 8 queues asked for the topic's stats %d times, want once", n)
	}
	if _, _, _, err := r.Read(ctx, admin.QueuePage{BrokerName: "broker-a", QueueID: 8}); !errors.Is(err, admin.ErrNotFound) {
		t.Errorf("a queue the topic lacks: %v, want ErrNotFound", err)
	}
}
