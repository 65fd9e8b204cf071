package transporttest

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/rocketkit/rocketkit/client"
)

// testBalance: two consumers of one group split the topic's queues, no
// queue consumed by both, and together get every message once; when one
// closes, the other takes every queue.
func testBalance(t *testing.T, e *env) {
	const queues = 4
	topic := e.topic("balance", queues)
	group := name("g")
	p := e.producer()
	in := newInbox()
	a := e.consumer(client.ConsumerConfig{Group: group, Subscriptions: sub(topic)}, in.handler("a", nil))
	e.consumer(client.ConsumerConfig{Group: group, Subscriptions: sub(topic)}, in.handler("b", nil))

	// Probe until the split is stable: a round sends one message to each
	// queue; the split is stable once two rounds in a row went each queue
	// to one consumer, the same one both times, and each consumer has a
	// queue. Rebalancing in between may deliver a probe twice.
	var owner map[int]string
	for round := 0; ; round++ {
		if round == 20 {
			t.Fatalf("no stable split of %d queues between two consumers after %d rounds; last %v", queues, round, owner)
		}
		var probes []string
		for q := range queues {
			body := fmt.Sprintf("probe-%d-%d", round, q)
			probes = append(probes, body)
			e.send(p, &client.Message{Topic: topic, Body: []byte(body)}, client.ToQueue(e.queue(topic, q)))
		}
		got := in.waitBodies(t, e.s.wait, probes...)
		split := map[int]string{}
		for _, d := range got {
			for q, body := range probes {
				if string(d.m.Body) == body {
					if split[q] != "" && split[q] != d.by {
						split[q] = "both"
					} else {
						split[q] = d.by
					}
				}
			}
		}
		stable := maps.Equal(split, owner) && slices.Contains(slices.Collect(maps.Values(split)), "a") &&
			slices.Contains(slices.Collect(maps.Values(split)), "b") && !slices.Contains(slices.Collect(maps.Values(split)), "both")
		owner = split
		if stable {
			break
		}
	}

	// The split: every message once, each queue's by its owner.
	var sent []string
	for i := range 5 * queues {
		body := fmt.Sprintf("split-%d", i)
		sent = append(sent, body)
		e.send(p, &client.Message{Topic: topic, Body: []byte(body)}, client.ToQueue(e.queue(topic, i%queues)))
	}
	got := in.waitBodies(t, e.s.wait, sent...)
	for i, body := range sent {
		ds := byBody(got, body)
		if len(ds) != 1 {
			t.Errorf("message %s delivered %d times with a stable split: %s", body, len(ds), bodies(ds))
			continue
		}
		if q := i % queues; ds[0].by != owner[q] {
			t.Errorf("message %s of queue %d consumed by %s, but %s owns the queue", body, q, ds[0].by, owner[q])
		}
	}

	// One leaves: the other takes every queue.
	e.close(a)
	sent = sent[:0]
	for i := range 2 * queues {
		body := fmt.Sprintf("after-%d", i)
		sent = append(sent, body)
		e.send(p, &client.Message{Topic: topic, Body: []byte(body)}, client.ToQueue(e.queue(topic, i%queues)))
	}
	got = in.waitBodies(t, e.s.wait, sent...)
	for _, body := range sent {
		for _, d := range byBody(got, body) {
			if d.by != "b" {
				t.Errorf("message %s consumed by %s after it closed", body, d.by)
			}
		}
	}
}

// testBroadcasting: every member of a broadcasting group gets every
// message.
func testBroadcasting(t *testing.T, e *env) {
	topic := e.topic("broadcast", 4)
	group := name("g")
	p := e.producer()
	in := newInbox()
	for _, by := range []string{"a", "b"} {
		e.consumer(client.ConsumerConfig{Group: group, Broadcasting: true, Subscriptions: sub(topic)}, in.handler(by, nil))
	}
	var want []string
	for i := range 8 {
		body := fmt.Sprintf("all-%d", i)
		want = append(want, body)
		e.send(p, &client.Message{Topic: topic, Body: []byte(body)})
	}
	in.wait(t, e.s.wait, "every message by both consumers", func(ds []delivery) bool {
		for _, body := range want {
			var a, b bool
			for _, d := range byBody(ds, body) {
				a, b = a || d.by == "a", b || d.by == "b"
			}
			if !a || !b {
				return false
			}
		}
		return true
	})
	for _, body := range want {
		for _, by := range []string{"a", "b"} {
			n := 0
			for _, d := range byBody(in.all(), body) {
				if d.by == by {
					n++
				}
			}
			if n != 1 {
				t.Errorf("consumer %s got message %s %d times, want once", by, body, n)
			}
		}
	}
}
