package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/rocketkit/rocketkit/broker"
)

// s1ChosenQueues: 30 messages sent to queues chosen by a manual selector.
func s1ChosenQueues(ctx context.Context, e *env) (string, error) {
	const topic = "t_luo01_queues"
	p, err := e.producer("p_luo01", producer.WithQueueSelector(producer.NewManualQueueSelector()))
	if err != nil {
		return "", err
	}
	defer p.Shutdown()
	ids := map[string]bool{}
	for i := range 30 {
		m := primitive.NewMessage(topic, fmt.Appendf(nil, "message %d", i))
		m.Queue = &primitive.MessageQueue{Topic: topic, BrokerName: "broker-a", QueueId: i % 4}
		res, err := p.SendSync(ctx, m)
		if err != nil {
			return "", err
		}
		if res.Status != primitive.SendOK || res.MessageQueue.QueueId != i%4 {
			return "", fmt.Errorf("message %d: %v on queue %d, want SEND_OK on queue %d", i, res.Status, res.MessageQueue.QueueId, i%4)
		}
		ids[res.MsgID] = true
	}
	if len(ids) != 30 {
		return "", fmt.Errorf("%d distinct msgIds for 30 messages", len(ids))
	}
	return "30 sends SEND_OK, 30 distinct msgIds, each on the queue it chose (0,1,2,3,0,...)", nil
}

// s2s5s8Tags: one topic, 30 messages tagged TagA, TagB, TagC in turn, all
// on one queue; three groups subscribe to different tags.
func s2s5s8Tags(ctx context.Context, e *env) (string, error) {
	const topic = "t_luo01"
	p, err := e.producer("p_luo01", producer.WithQueueSelector(producer.NewManualQueueSelector()))
	if err != nil {
		return "", err
	}
	defer p.Shutdown()
	tags := []string{"TagA", "TagB", "TagC"}
	for i := range 30 {
		m := primitive.NewMessage(topic, fmt.Appendf(nil, "%s-%02d", tags[i%3], i)).WithTag(tags[i%3])
		m.Queue = &primitive.MessageQueue{Topic: topic, BrokerName: "broker-a", QueueId: 0}
		if _, err := p.SendSync(ctx, m); err != nil {
			return "", err
		}
	}
	subs := []struct {
		sub  subscription
		want int
	}{
		{subscription{group: "c_luo02", topic: topic, expr: "TagB", orderly: true}, 10},
		{subscription{group: "c_luo03", topic: topic, expr: "TagA || TagC", orderly: true}, 20},
		{subscription{group: "c_luo04", topic: topic, expr: "TagD"}, 0},
	}
	// All three start at once, from the topic's first message.
	collectors := make([]*collector, len(subs))
	for i, s := range subs {
		c, stop, err := e.consume(s.sub)
		if err != nil {
			return "", err
		}
		defer stop()
		collectors[i] = c
	}
	got := make([][]string, len(subs))
	for i, s := range subs[:2] {
		if got[i], err = e.waitFor(collectors[i], s.want); err != nil {
			return "", fmt.Errorf("%s on %q: %w", s.sub.group, s.sub.expr, err)
		}
	}
	// The group on a tag nobody sends read the same queue meanwhile.
	time.Sleep(200 * time.Millisecond)
	got[2] = collectors[2].bodies()
	for i, s := range subs {
		if len(got[i]) != s.want {
			return "", fmt.Errorf("%s on %q received %d messages, want %d", s.sub.group, s.sub.expr, len(got[i]), s.want)
		}
		for _, tag := range strings.Split(s.sub.expr, " || ") {
			if !sortedWithPrefix(got[i], tag) {
				return "", fmt.Errorf("%s: %s messages out of send order: %v", s.sub.group, tag, got[i])
			}
		}
	}
	return "c_luo02 on TagB got its 10 in send order; c_luo03 on TagA || TagC its 20, each tag in order; c_luo04 on TagD nothing, no error", nil
}

// sortedWithPrefix reports whether the bodies starting with prefix are in
// ascending order.
func sortedWithPrefix(bodies []string, prefix string) bool {
	var sel []string
	for _, b := range bodies {
		if strings.HasPrefix(b, prefix) {
			sel = append(sel, b)
		}
	}
	return slices.IsSorted(sel)
}

// s3Ordered: 10,000 ordered messages from one thread, queues chosen by
// the hash of the order id.
func s3Ordered(ctx context.Context, e *env) (string, error) {
	p, err := e.producer("p_ordered", producer.WithQueueSelector(producer.NewHashQueueSelector()))
	if err != nil {
		return "", err
	}
	defer p.Shutdown()
	start := time.Now()
	for i := range 10_000 {
		m := primitive.NewMessage("t_ordered", fmt.Appendf(nil, "order %d step %d", i%100, i/100))
		m.WithShardingKey(fmt.Sprintf("order-%d", i%100))
		if res, err := p.SendSync(ctx, m); err != nil || res.Status != primitive.SendOK {
			return "", fmt.Errorf("send %d: %v %v", i, res, err)
		}
	}
	took := time.Since(start)
	return fmt.Sprintf("10,000 ordered sync sends in %v, %.0f msg/s (the study: 22 s, ~450 msg/s)",
		took.Round(10*time.Millisecond), 10_000/took.Seconds()), nil
}

// s9s10SendModes: sync, async, oneway and batch, from producers with
// their own instance names.
func s9s10SendModes(ctx context.Context, e *env) (string, error) {
	const topic = "t_modes"
	p1, err := e.producer("p_modes")
	if err != nil {
		return "", err
	}
	defer p1.Shutdown()
	p2, err := e.producer("p_modes") // same group, same process: its own instance name
	if err != nil {
		return "", err
	}
	defer p2.Shutdown()
	c, stop, err := e.consume(subscription{group: "c_modes", topic: topic, expr: "*"})
	if err != nil {
		return "", err
	}
	defer stop()

	if res, err := p1.SendSync(ctx, primitive.NewMessage(topic, []byte("sync"))); err != nil || res.Status != primitive.SendOK {
		return "", fmt.Errorf("sync: %v %v", res, err)
	}
	var wg sync.WaitGroup
	var asyncErr error
	wg.Add(1)
	err = p2.SendAsync(ctx, func(_ context.Context, res *primitive.SendResult, err error) {
		defer wg.Done()
		if err == nil && res.Status != primitive.SendOK {
			err = fmt.Errorf("status %v", res.Status)
		}
		asyncErr = err
	}, primitive.NewMessage(topic, []byte("async")))
	if err != nil {
		return "", fmt.Errorf("async: %w", err)
	}
	wg.Wait()
	if asyncErr != nil {
		return "", fmt.Errorf("async callback: %w", asyncErr)
	}
	start := time.Now()
	if err := p1.SendOneWay(ctx, primitive.NewMessage(topic, []byte("oneway"))); err != nil {
		return "", fmt.Errorf("oneway: %w", err)
	}
	oneway := time.Since(start)
	batch := []*primitive.Message{primitive.NewMessage(topic, []byte("batch-1")), primitive.NewMessage(topic, []byte("batch-2"))}
	if res, err := p2.SendSync(ctx, batch...); err != nil || res.Status != primitive.SendOK {
		return "", fmt.Errorf("batch: %v %v", res, err)
	}
	got, err := e.waitFor(c, 5)
	if err != nil {
		return "", err
	}
	slices.Sort(got)
	if !slices.Equal(got, []string{"async", "batch-1", "batch-2", "oneway", "sync"}) {
		return "", fmt.Errorf("received %v", got)
	}
	return fmt.Sprintf("sync, async (callback), oneway (returned in %v, no result) and batch all delivered; two producers of one group, each its own instance",
		oneway.Round(time.Microsecond)), nil
}

// s13SendResults: on a SYNC_FLUSH broker every SEND_OK means on disk.
func s13SendResults(ctx context.Context, e *env) (string, error) {
	dir, cleanup, err := tempDir()
	if err != nil {
		return "", err
	}
	defer cleanup()
	b, err := broker.Start(ctx, broker.Config{Listen: "127.0.0.1:0", DataDir: dir, FlushDiskType: broker.SyncFlush})
	if err != nil {
		return "", err
	}
	defer b.Close()
	durable := &env{addr: b.Addr(), timeout: e.timeout}
	p, err := durable.producer("p_durable")
	if err != nil {
		return "", err
	}
	defer p.Shutdown()
	statuses := map[primitive.SendStatus]int{}
	for i := range 100 {
		res, err := p.SendSync(ctx, primitive.NewMessage("t_durable", fmt.Appendf(nil, "payment %d", i)))
		if err != nil {
			return "", err
		}
		statuses[res.Status]++
	}
	if statuses[primitive.SendOK] != 100 {
		return "", fmt.Errorf("statuses %v, want 100 SEND_OK", statuses)
	}
	return "SYNC_FLUSH broker: 100 sends SEND_OK, each synced to disk before its answer (FLUSH_DISK_TIMEOUT otherwise; the template's strict option makes that an error)", nil
}
