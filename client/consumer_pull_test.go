package client

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rocketkit/rocketkit/internal/memnet"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// PULL_OFFSET_MOVED: the consumer takes nextBeginOffset, commits it and
// goes on pulling at once (the official client stalls 10-30 s).
func TestConsumerOffsetMoved(t *testing.T) {
	b := startBroker(t)
	c := newTestClient(t, b, "c1")
	createTopic(t, c, b, "moved", 1)
	send(t, c, b, "moved", spread(3, 1, "")...)
	req := remoting.NewClientRequest(remoting.UpdateConsumerOffset, remoting.Fields{
		{Key: "consumerGroup", Value: "mover"}, {Key: "topic", Value: "moved"}, {Key: "queueId", Value: "0"},
		{Key: "commitOffset", Value: "100"}}, nil)
	if _, err := c.callOK(t.Context(), b.Addr(), req); err != nil {
		t.Fatal(err)
	}
	in := newInbox()
	startConsumer(t, c, ConsumerConfig{Group: "mover", RebalanceInterval: time.Hour,
		Subscriptions: []Subscription{{Topic: "moved"}}}, in.handler(nil))
	waitUntil(t, "the moved offset committed", func() bool { return committedOffsets(b, "mover", "moved")[0] == 3 })
	send(t, c, b, "moved", testMsg{body: "next"})
	if msgs := in.wait(t, 1); string(msgs[0].Body) != "next" {
		t.Fatalf("got %q", msgs[0].Body)
	}
}

// A queue is not pulled while PullThresholdPerQueue of its messages wait
// for the handlers; in virtual time, so "no further pull" is observed once
// everything that could run has run.
func TestConsumerFlowControl(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var network memnet.Network
		b := startVirtualBroker(t, &network)
		c := newTestClient(t, b, "c1", WithDialFunc(network.Dial))
		createTopic(t, c, b, "flood", 1)
		send(t, c, b, "flood", spread(40, 1, "")...)
		release := make(chan struct{})
		var mu sync.Mutex
		var entered []int
		con := startConsumer(t, c, ConsumerConfig{Group: "flood", ConsumeFrom: ConsumeFromFirstOffset, PullBatchSize: 2,
			PullThresholdPerQueue: 5, Concurrency: 40, Subscriptions: []Subscription{{Topic: "flood"}}},
			func(_ context.Context, msgs []*MessageExt) ConsumeResult {
				mu.Lock()
				n, _ := strconv.Atoi(string(msgs[0].Body))
				entered = append(entered, n)
				mu.Unlock()
				<-release
				return ConsumeSuccess
			})
		count := func() int {
			mu.Lock()
			defer mu.Unlock()
			return len(entered)
		}
		synctest.Wait()
		if n := count(); n < 5 || n > 6 {
			t.Fatalf("%d messages handed out with a threshold of 5 and batches of 2, want 5 or 6", n)
		}
		close(release)
		waitUntil(t, "every message", func() bool { return count() == 40 })
		mu.Lock()
		slices.Sort(entered)
		mu.Unlock()
		for i, n := range entered {
			if i != n {
				t.Fatalf("messages %v", entered)
			}
		}
		closeConsumer(t, con)
		if off := committedOffsets(b, "flood", "flood"); off[0] != 40 {
			t.Fatalf("committed %v", off)
		}
	})
}

// Pulls that fail are retried after a short backoff, and consumption goes
// on once the broker answers again.
func TestConsumerPullErrorsRetried(t *testing.T) {
	b := startBroker(t)
	var faults faultNet
	c := newTestClient(t, b, "c1", WithDialFunc(faults.Dial))
	createTopic(t, c, b, "bumpy", 1)
	faults.failWith(remoting.PullMessage, remoting.SystemBusy)
	in := newInbox()
	startConsumer(t, c, ConsumerConfig{Group: "bumpy", ConsumeFrom: ConsumeFromFirstOffset,
		Subscriptions: []Subscription{{Topic: "bumpy"}}}, in.handler(nil))
	waitUntil(t, "pulls retried", func() bool { return faults.count(remoting.PullMessage) >= 6 })
	send(t, c, b, "bumpy", testMsg{body: "x"})
	faults.fail(remoting.PullMessage, nil)
	in.wait(t, 1)
}

// Concurrent consumption with batches: a handler call gets up to
// ConsumeBatchSize messages of one queue, in offset order.
func TestConsumerBatches(t *testing.T) {
	b := startBroker(t)
	c := newTestClient(t, b, "c1")
	createTopic(t, c, b, "batched", 2)
	send(t, c, b, "batched", spread(20, 2, "")...)
	var mu sync.Mutex
	var sizes []int
	in := newInbox()
	h := in.handler(nil)
	startConsumer(t, c, ConsumerConfig{Group: "batched", ConsumeFrom: ConsumeFromFirstOffset, ConsumeBatchSize: 4,
		Subscriptions: []Subscription{{Topic: "batched"}}}, func(ctx context.Context, msgs []*MessageExt) ConsumeResult {
		mu.Lock()
		sizes = append(sizes, len(msgs))
		mu.Unlock()
		for i := 1; i < len(msgs); i++ {
			if msgs[i].Queue != msgs[0].Queue || msgs[i].QueueOffset <= msgs[i-1].QueueOffset {
				t.Errorf("batch mixes queues or order: %v", msgs)
			}
		}
		return h(ctx, msgs)
	})
	in.wait(t, 20)
	mu.Lock()
	defer mu.Unlock()
	if slices.Max(sizes) > 4 || slices.Max(sizes) < 2 {
		t.Fatalf("batch sizes %v", sizes)
	}
}

// A slow message stops its queue's pulls once maxSpan offsets lie between
// it and the last message pulled; in virtual time.
func TestConsumerMaxSpan(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var network memnet.Network
		b := startVirtualBroker(t, &network)
		c := newTestClient(t, b, "c1", WithDialFunc(network.Dial))
		createTopic(t, c, b, "span", 1)
		p, err := c.NewProducer(ProducerConfig{Group: "span"})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		batch := make([]*Message, 100)
		for i := range batch {
			batch[i] = &Message{Topic: "span", Body: []byte("x")}
		}
		for range 30 {
			if _, err := p.SendBatch(t.Context(), batch); err != nil {
				t.Fatal(err)
			}
		}
		release := make(chan struct{})
		var handled atomic.Int64
		con := startConsumer(t, c, ConsumerConfig{Group: "span", ConsumeFrom: ConsumeFromFirstOffset,
			Subscriptions: []Subscription{{Topic: "span"}}}, func(_ context.Context, msgs []*MessageExt) ConsumeResult {
			if msgs[0].QueueOffset == 0 {
				<-release
			}
			handled.Add(1)
			return ConsumeSuccess
		})
		synctest.Wait()
		if n := handled.Load(); n < maxSpan-32 || n > maxSpan+32 {
			t.Fatalf("%d messages consumed past a stuck one, want about maxSpan (%d)", n, maxSpan)
		}
		close(release)
		waitUntil(t, "every message", func() bool { return handled.Load() == 3000 })
		closeConsumer(t, con)
		if off := committedOffsets(b, "span", "span"); off[0] != 3000 {
			t.Fatalf("committed %v", off)
		}
	})
}
