package transporttest

import (
	"testing"

	"github.com/rocketkit/rocketkit/client"
)

// testRetry: ConsumeRetry redelivers the message later, with ReconsumeTimes
// 1, the same MsgID, topic, body, tag and properties.
func testRetry(t *testing.T, e *env) {
	topic := e.topic("retry", 1)
	p := e.producer()
	in := newInbox()
	e.consumer(client.ConsumerConfig{Group: name("g"), Subscriptions: sub(topic)},
		in.handler("c", func(m *client.MessageExt) client.ConsumeResult {
			if m.ReconsumeTimes == 0 {
				return client.ConsumeRetry
			}
			return client.ConsumeSuccess
		}))
	m := &client.Message{Topic: topic, Tag: "t", Keys: []string{"k"}, Body: []byte("again"),
		Properties: map[string]string{"p": "v"}}
	res := e.send(p, m)
	got := in.wait(t, e.s.wait, "the redelivery", func(ds []delivery) bool { return len(ds) >= 2 })
	first, second := got[0].m, got[1].m
	if first.ReconsumeTimes != 0 || second.ReconsumeTimes != 1 {
		t.Errorf("ReconsumeTimes %d then %d, want 0 then 1", first.ReconsumeTimes, second.ReconsumeTimes)
	}
	for i, d := range got[:2] {
		if d.m.MsgID != res.MsgID {
			t.Errorf("delivery %d: MsgID %q, the send reported %q", i, d.m.MsgID, res.MsgID)
		}
		checkRedelivered(t, d.m, m)
	}
}

// checkRedelivered reports what of sent a redelivered message lost; its
// queue is the retry topic's (or dead-letter topic's), so it is not
// compared.
func checkRedelivered(t *testing.T, d *client.MessageExt, sent *client.Message) {
	t.Helper()
	if d.Topic != sent.Topic {
		t.Errorf("message %s: Topic %q, want %q", sent.Body, d.Topic, sent.Topic)
	}
	if string(d.Body) != string(sent.Body) || d.Tag != sent.Tag {
		t.Errorf("message %s: body %q tag %q, want tag %q", sent.Body, d.Body, d.Tag, sent.Tag)
	}
	for k, v := range sent.Properties {
		if got := d.Property(k); got != v {
			t.Errorf("message %s: Property(%q) = %q, want %q", sent.Body, k, got, v)
		}
	}
}

// deadLetters starts a consumer of group's dead-letter topic and returns
// what it receives.
func (e *env) deadLetters(group string) *inbox {
	in := newInbox()
	e.consumer(client.ConsumerConfig{Group: name("dlq"), Subscriptions: sub(dlq(group))}, in.handler("dlq", nil))
	return in
}

// testDeadLetter: ConsumeDeadLetter puts the message into %DLQ%group at
// once, with its MsgID and body, and it is not redelivered.
func testDeadLetter(t *testing.T, e *env) {
	topic := e.topic("dead", 1)
	group := name("g")
	p := e.producer()
	in := newInbox()
	e.consumer(client.ConsumerConfig{Group: group, Subscriptions: sub(topic)},
		in.handler("c", func(*client.MessageExt) client.ConsumeResult { return client.ConsumeDeadLetter }))
	m := &client.Message{Topic: topic, Body: []byte("poison"), Properties: map[string]string{"p": "v"}}
	res := e.send(p, m)
	dead := e.deadLetters(group)
	got := dead.waitBodies(t, e.s.wait, "poison")
	if d := got[0].m; d.MsgID != res.MsgID || d.Property("p") != "v" {
		t.Errorf("dead letter: MsgID %q, Property(p) %q; want %q and %q", d.MsgID, d.Property("p"), res.MsgID, "v")
	}
	if n := len(in.all()); n != 1 {
		t.Errorf("the handler saw the dead-lettered message %d times, want once: %s", n, bodies(in.all()))
	}
}

// testMaxReconsume: a message the handler always retries is delivered
// 1 + MaxReconsumeTimes times (ReconsumeTimes 0, 1, 2), then lands in
// %DLQ%group.
func testMaxReconsume(t *testing.T, e *env) {
	topic := e.topic("exhaust", 1)
	group := name("g")
	p := e.producer()
	in := newInbox()
	e.consumer(client.ConsumerConfig{Group: group, MaxReconsumeTimes: 2, Subscriptions: sub(topic)},
		in.handler("c", func(*client.MessageExt) client.ConsumeResult { return client.ConsumeRetry }))
	res := e.send(p, &client.Message{Topic: topic, Body: []byte("hopeless")})
	dead := e.deadLetters(group)
	got := dead.waitBodies(t, e.s.wait, "hopeless")
	if got[0].m.MsgID != res.MsgID {
		t.Errorf("dead letter: MsgID %q, the send reported %q", got[0].m.MsgID, res.MsgID)
	}
	var times []int32
	for _, d := range in.all() {
		times = append(times, d.m.ReconsumeTimes)
	}
	if len(times) != 3 || times[0] != 0 || times[1] != 1 || times[2] != 2 {
		t.Errorf("deliveries before the dead-letter topic had ReconsumeTimes %v, want [0 1 2]", times)
	}
}
