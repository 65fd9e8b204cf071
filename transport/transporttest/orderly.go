package transporttest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/client"
)

// orderlyConsumer starts an orderly consumer of topic for group, recording
// into in what h (nil: success) answers, and failing the subtest when two
// handler calls run at once for one queue.
func (e *env) orderlyConsumer(group, topic string, cfg client.ConsumerConfig, in *inbox,
	result func(*client.MessageExt) client.ConsumeResult) {
	var mu sync.Mutex
	busy := map[int]bool{}
	record := in.handler("c", result)
	cfg.Group, cfg.Orderly, cfg.Subscriptions = group, true, sub(topic)
	e.consumer(cfg, func(ctx context.Context, msgs []*client.MessageExt) client.ConsumeResult {
		q := msgs[0].Queue.QueueID
		mu.Lock()
		if busy[q] {
			e.t.Errorf("two handler calls at once for queue %d of an orderly consumer", q)
		}
		busy[q] = true
		mu.Unlock()
		defer func() {
			mu.Lock()
			busy[q] = false
			mu.Unlock()
		}()
		return record(ctx, msgs)
	})
}

// testOrderlyPerKey: messages sent with HashKey go to queue fnv32a(key) mod
// the queue count, and an orderly consumer gets each key's messages in
// send order, one handler call at a time per queue.
func testOrderlyPerKey(t *testing.T, e *env) {
	const queues, keys, perKey = 4, 8, 10
	topic := e.topic("orderly", queues)
	p := e.producer()
	in := newInbox()
	e.orderlyConsumer(name("g"), topic, client.ConsumerConfig{}, in, nil)

	var want []string
	for i := range perKey {
		for k := range keys {
			key := fmt.Sprintf("key-%d", k)
			body := fmt.Sprintf("%s/%d", key, i)
			want = append(want, body)
			res := e.send(p, &client.Message{Topic: topic, Keys: []string{key}, Body: []byte(body)}, client.HashKey(key))
			if q := hashQueue(key, queues); res.Queue.QueueID != q {
				t.Fatalf("HashKey(%q) stored in queue %d, want fnv32a mod %d = %d", key, res.Queue.QueueID, queues, q)
			}
		}
	}
	got := in.waitBodies(t, e.s.wait, want...)
	next := map[string]int{}
	for _, d := range got {
		key, seq, _ := strings.Cut(string(d.m.Body), "/")
		n, _ := strconv.Atoi(seq)
		if n != next[key] {
			t.Errorf("key %s: message %d delivered when %d was due", key, n, next[key])
		}
		next[key] = n + 1
		if q := hashQueue(key, queues); d.m.Queue.QueueID != q {
			t.Errorf("message %s delivered from queue %d, sent to %d", d.m.Body, d.m.Queue.QueueID, q)
		}
	}
}

// testOrderlyRetry: ConsumeRetry from an orderly consumer redelivers the
// message (ReconsumeTimes 1, same MsgID) after SuspendInterval, before any
// later message of its queue.
func testOrderlyRetry(t *testing.T, e *env) {
	topic := e.topic("oretry", 1)
	p := e.producer()
	in := newInbox()
	e.orderlyConsumer(name("g"), topic, client.ConsumerConfig{SuspendInterval: 100 * time.Millisecond}, in,
		func(m *client.MessageExt) client.ConsumeResult {
			if string(m.Body) == "first" && m.ReconsumeTimes == 0 {
				return client.ConsumeRetry
			}
			return client.ConsumeSuccess
		})
	res := e.send(p, &client.Message{Topic: topic, Body: []byte("first")})
	e.send(p, &client.Message{Topic: topic, Body: []byte("second")})
	got := in.waitBodies(t, e.s.wait, "second")
	var seen []string
	for _, d := range got {
		seen = append(seen, fmt.Sprintf("%s/%d", d.m.Body, d.m.ReconsumeTimes))
		if string(d.m.Body) == "first" && d.m.MsgID != res.MsgID {
			t.Errorf("redelivery of first: MsgID %q, the send reported %q", d.m.MsgID, res.MsgID)
		}
	}
	if want := "first/0 first/1 second/0"; strings.Join(seen, " ") != want {
		t.Errorf("deliveries %q, want %q", strings.Join(seen, " "), want)
	}
}

// testOrderlyDeadLetter: from an orderly consumer, ConsumeDeadLetter puts
// the message into %DLQ%group at once, a message retried past
// MaxReconsumeTimes goes there too, and the queue moves on after each.
func testOrderlyDeadLetter(t *testing.T, e *env) {
	topic := e.topic("odead", 1)
	group := name("g")
	p := e.producer()
	in := newInbox()
	e.orderlyConsumer(group, topic, client.ConsumerConfig{MaxReconsumeTimes: 1, SuspendInterval: 100 * time.Millisecond}, in,
		func(m *client.MessageExt) client.ConsumeResult {
			switch string(m.Body) {
			case "poison":
				return client.ConsumeDeadLetter
			case "hopeless":
				return client.ConsumeRetry
			}
			return client.ConsumeSuccess
		})
	for _, body := range []string{"poison", "hopeless", "fine"} {
		e.send(p, &client.Message{Topic: topic, Body: []byte(body)})
	}
	dead := e.deadLetters(group)
	dead.waitBodies(t, e.s.wait, "poison", "hopeless")
	got := in.waitBodies(t, e.s.wait, "fine")
	var seen []string
	for _, d := range got {
		seen = append(seen, fmt.Sprintf("%s/%d", d.m.Body, d.m.ReconsumeTimes))
	}
	if want := "poison/0 hopeless/0 hopeless/1 fine/0"; strings.Join(seen, " ") != want {
		t.Errorf("deliveries %q, want %q", strings.Join(seen, " "), want)
	}
}
