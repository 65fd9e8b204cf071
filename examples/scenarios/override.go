package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rocketkit/rocketkit/client"
)

// subscriptionOverride replays the S6 pitfall itself on the kit's client:
// two members of group c_audit_raw, in two processes (Clients), one
// subscribed to TagA, the other to TagB. The broker keeps one subscription
// per group, the latest heartbeat's, and filters the members' pulls by it;
// each member drops what does not match its own on the queues it owns.
// Every queue gets both tags, so whichever heartbeat came last, the TagB
// messages on the TagA member's queues and the TagA messages on the TagB
// member's are lost (consumed, never handled), and the member whose
// subscription was overridden gets at most what its pulls parked before
// the override let through. It returns how many each member got of its 10.
func subscriptionOverride(ctx context.Context, e *env) (tagA, tagB int, err error) {
	const topic, group = "t_audit_raw", "c_audit_raw"
	if err := e.createTopic(ctx, topic); err != nil {
		return 0, 0, err
	}
	tags := []string{"TagA", "TagB"}
	cols := make([]*collector, len(tags))
	cons := make([]*client.Consumer, len(tags))
	for i, tag := range tags {
		cl, err := e.newClient()
		if err != nil {
			return 0, 0, err
		}
		defer cl.Close()
		cols[i], cons[i], err = e.consume(ctx, cl, client.ConsumerConfig{Group: group,
			Subscriptions: []client.Subscription{{Topic: topic, Expression: tag}},
			ConsumeFrom:   client.ConsumeFromFirstOffset,
			// Commit soon after the last message, for caughtUp below.
			OffsetCommitInterval: 100 * time.Millisecond})
		if err != nil {
			return 0, 0, err
		}
		defer stop(cons[i])
	}
	// The first member gives up half of the queues once the broker told it
	// the second joined.
	if err := waitUntil(e.timeout, func() bool { return ownedQueues(cons[0], topic) == 2 && ownedQueues(cons[1], topic) == 2 }); err != nil {
		return 0, 0, fmt.Errorf("the members did not split the queues: %w", err)
	}
	p, err := e.producer("p_audit_raw")
	if err != nil {
		return 0, 0, err
	}
	defer p.Close()
	queues, err := p.Queues(ctx, topic)
	if err != nil {
		return 0, 0, err
	}
	// TagA, TagB, TagA, ...: every queue gets both tags.
	for i := range 20 {
		tag := tags[i%2]
		m := &client.Message{Topic: topic, Tag: tag, Body: fmt.Appendf(nil, "%s-%02d", tag, i)}
		if _, err := p.Send(ctx, m, client.ToQueue(queues[(i/2)%len(queues)])); err != nil {
			return 0, 0, err
		}
	}
	if err := e.caughtUp(ctx, group, topic); err != nil {
		return 0, 0, err
	}
	got := make([]int, len(tags))
	for i, tag := range tags {
		for _, b := range cols[i].bodies() {
			if !strings.HasPrefix(b, tag+"-") {
				return 0, 0, fmt.Errorf("the member on %s got %s", tag, b)
			}
		}
		got[i] = len(cols[i].bodies())
	}
	if got[0]+got[1] >= 20 {
		return 0, 0, fmt.Errorf("the members got %d and %d of 20: nothing lost", got[0], got[1])
	}
	return got[0], got[1], nil
}
