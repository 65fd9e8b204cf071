package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/client"
)

// s1ChosenQueues: 30 messages sent to queues the caller chose.
func s1ChosenQueues(ctx context.Context, e *env) (string, error) {
	const topic = "t_luo01_queues"
	p, err := e.producer("p_luo01")
	if err != nil {
		return "", err
	}
	defer p.Close()
	queues, err := p.Queues(ctx, topic)
	if err != nil {
		return "", err
	}
	if len(queues) != 4 {
		return "", fmt.Errorf("%d writable queues, want 4", len(queues))
	}
	ids := map[string]bool{}
	for i := range 30 {
		res, err := p.Send(ctx, &client.Message{Topic: topic, Body: fmt.Appendf(nil, "message %d", i)},
			client.ToQueue(queues[i%4]))
		if err != nil {
			return "", err
		}
		if res.Status != client.SendOK || res.Queue.QueueID != i%4 {
			return "", fmt.Errorf("message %d: %v on queue %d, want SEND_OK on queue %d", i, res.Status, res.Queue.QueueID, i%4)
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
	p, err := e.producer("p_luo01")
	if err != nil {
		return "", err
	}
	defer p.Close()
	queues, err := p.Queues(ctx, topic)
	if err != nil {
		return "", err
	}
	tags := []string{"TagA", "TagB", "TagC"}
	for i := range 30 {
		m := &client.Message{Topic: topic, Tag: tags[i%3], Body: fmt.Appendf(nil, "%s-%02d", tags[i%3], i)}
		if _, err := p.Send(ctx, m, client.ToQueue(queues[0])); err != nil {
			return "", err
		}
	}
	subs := []struct {
		group, expr string
		orderly     bool
		want        int
	}{
		{"c_luo02", "TagB", true, 10},
		{"c_luo03", "TagA || TagC", true, 20},
		{"c_luo04", "TagD", false, 0},
	}
	// All three start at once, from the topic's first message.
	collectors := make([]*collector, len(subs))
	started := time.Now()
	for i, s := range subs {
		c, con, err := e.consume(ctx, nil, client.ConsumerConfig{Group: s.group, Orderly: s.orderly,
			Subscriptions: []client.Subscription{{Topic: topic, Expression: s.expr}},
			ConsumeFrom:   client.ConsumeFromFirstOffset})
		if err != nil {
			return "", err
		}
		defer stop(con)
		collectors[i] = c
	}
	got := make([][]string, len(subs))
	for i, s := range subs[:2] {
		if got[i], err = e.waitFor(collectors[i], s.want); err != nil {
			return "", fmt.Errorf("%s on %q: %w", s.group, s.expr, err)
		}
	}
	// The group on a tag nobody sends read the same queue meanwhile: it is
	// done once its offset reached the queue's end.
	if err := e.caughtUp(ctx, subs[2].group, topic); err != nil {
		return "", err
	}
	got[2] = collectors[2].bodies()
	for i, s := range subs {
		if len(got[i]) != s.want {
			return "", fmt.Errorf("%s on %q received %d messages, want %d", s.group, s.expr, len(got[i]), s.want)
		}
		for _, tag := range strings.Split(s.expr, " || ") {
			if !sortedWithPrefix(got[i], tag) {
				return "", fmt.Errorf("%s: %s messages out of send order: %v", s.group, tag, got[i])
			}
		}
	}
	warmUp := collectors[0].firstAt().Sub(started)
	return fmt.Sprintf("c_luo02 on TagB got its 10 in send order; c_luo03 on TagA || TagC its 20, each tag in order; c_luo04 on TagD nothing, no error. "+
		"Orderly consumers, first delivery %v after start (the ~3 s orderly warm-up was the official Go client's, not RocketMQ's)",
		warmUp.Round(time.Millisecond)), nil
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

// s3Ordered: 10,000 ordered messages from one goroutine, queues chosen by
// the hash of the order id.
func s3Ordered(ctx context.Context, e *env) (string, error) {
	p, err := e.producer("p_ordered")
	if err != nil {
		return "", err
	}
	defer p.Close()
	start := time.Now()
	for i := range 10_000 {
		m := &client.Message{Topic: "t_ordered", Body: fmt.Appendf(nil, "order %d step %d", i%100, i/100)}
		if res, err := p.Send(ctx, m, client.HashKey(fmt.Sprintf("order-%d", i%100))); err != nil || res.Status != client.SendOK {
			return "", fmt.Errorf("send %d: %v %v", i, res, err)
		}
	}
	took := time.Since(start)
	return fmt.Sprintf("10,000 ordered sync sends in %v, %.0f msg/s (the study: 22 s, ~450 msg/s)",
		took.Round(10*time.Millisecond), 10_000/took.Seconds()), nil
}

// s9s10SendModes: sync, async, oneway and batch; two producers of one
// group in one process.
func s9s10SendModes(ctx context.Context, e *env) (string, error) {
	const topic = "t_modes"
	p1, err := e.producer("p_modes")
	if err != nil {
		return "", err
	}
	defer p1.Close()
	// A Client takes one producer per group (it is safe for concurrent
	// use); a second producer of the group is another Client, as another
	// process would be, with an instance name of its own by default.
	if p, err := e.producer("p_modes"); !errors.Is(err, client.ErrGroupTaken) {
		if p != nil {
			_ = p.Close()
		}
		return "", fmt.Errorf("a second p_modes producer on one Client: %v, want ErrGroupTaken", err)
	}
	c2, err := e.newClient()
	if err != nil {
		return "", err
	}
	defer c2.Close()
	if c2.ID() == e.c.ID() {
		return "", fmt.Errorf("two Clients share the client id %s", c2.ID())
	}
	p2, err := c2.NewProducer(client.ProducerConfig{Group: "p_modes"})
	if err != nil {
		return "", err
	}
	defer p2.Close()
	if err := e.createTopic(ctx, topic); err != nil {
		return "", err
	}
	c, con, err := e.consume(ctx, nil, client.ConsumerConfig{Group: "c_modes",
		Subscriptions: []client.Subscription{{Topic: topic, Expression: "*"}}, ConsumeFrom: client.ConsumeFromFirstOffset})
	if err != nil {
		return "", err
	}
	defer stop(con)

	msg := func(body string) *client.Message { return &client.Message{Topic: topic, Body: []byte(body)} }
	if res, err := p1.Send(ctx, msg("sync")); err != nil || res.Status != client.SendOK {
		return "", fmt.Errorf("sync: %v %v", res, err)
	}
	asyncDone := make(chan error, 1)
	p2.SendAsync(ctx, msg("async"), func(res *client.SendResult, err error) {
		if err == nil && res.Status != client.SendOK {
			err = fmt.Errorf("status %v", res.Status)
		}
		asyncDone <- err
	})
	if err := <-asyncDone; err != nil {
		return "", fmt.Errorf("async callback: %w", err)
	}
	start := time.Now()
	if err := p1.SendOneway(ctx, msg("oneway")); err != nil {
		return "", fmt.Errorf("oneway: %w", err)
	}
	oneway := time.Since(start)
	if res, err := p2.SendBatch(ctx, []*client.Message{msg("batch-1"), msg("batch-2")}); err != nil || res.Status != client.SendOK {
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
	return fmt.Sprintf("sync, async (callback), oneway (returned in %v, no result) and batch all delivered; two producers of one group: "+
		"a second on the same Client is refused (one producer per group and Client, safe for concurrent use), one on a Client of its own is its own instance without naming one",
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
	c, err := client.New(client.Config{NameServers: []string{b.Addr()}})
	if err != nil {
		return "", err
	}
	defer c.Close()
	p, err := c.NewProducer(client.ProducerConfig{Group: "p_durable"})
	if err != nil {
		return "", err
	}
	defer p.Close()
	statuses := map[client.SendStatus]int{}
	for i := range 100 {
		res, err := p.Send(ctx, &client.Message{Topic: "t_durable", Body: fmt.Appendf(nil, "payment %d", i)})
		if err != nil {
			return "", err
		}
		statuses[res.Status]++
	}
	if statuses[client.SendOK] != 100 {
		return "", fmt.Errorf("statuses %v, want 100 SEND_OK", statuses)
	}
	return "SYNC_FLUSH broker: 100 sends SEND_OK, each synced to disk before its answer (FLUSH_DISK_TIMEOUT otherwise; the template's strict option makes that an error)", nil
}
